// Watch events arrive as newline-delimited JSON cut into chunks anywhere:
// every whole event reaches the cache once, in order, and a server that
// never ends a line cannot grow the buffer without bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from '../../operator/cluster/line-splitter.js';

test('lines cut across chunks arrive whole, in order; blank lines are skipped; the rest waits for its newline', () => {
  const seen: string[] = [];
  const s = new LineSplitter((l) => seen.push(l), 1000, 'watch /x');
  for (const chunk of ['{"type":"ADD', 'ED"}\n\n{"type":"MOD', 'IFIED"}\n   \n{"type":"DEL']) s.push(chunk);
  assert.deepEqual(seen, ['{"type":"ADDED"}', '{"type":"MODIFIED"}']);
  assert.equal(s.lines, 2);
  s.push('ETED"}\n');
  assert.deepEqual(seen.at(-1), '{"type":"DELETED"}');
  assert.equal(s.lines, 3);
});

test('an unfinished line longer than the bound is an error that names the stream; what the consumer throws comes out as is', () => {
  const s = new LineSplitter(() => undefined, 10, 'watch /api/v1/pods');
  assert.throws(() => s.push('x'.repeat(11)), /watch \/api\/v1\/pods: an event longer than 10 bytes/);
  const bad = new LineSplitter(() => { throw new Error('not JSON'); }, 10, 'watch /x');
  assert.throws(() => bad.push('garbage\n'), /not JSON/);
});

test('a line that never ends costs time in proportion to its length: 16 MB in 64 KB chunks is split in well under a second of work', () => {
  // Counted in chunks searched, not timed: the old splitter searched the whole
  // buffer again after every chunk (256 chunks -> 2 GB scanned).
  const chunk = 'x'.repeat(64 * 1024);
  let scanned = 0;
  const s = new LineSplitter(() => undefined, 64 * 1024 * 1024, 'watch /x');
  const original = String.prototype.indexOf;
  String.prototype.indexOf = function (this: string, search: string, position?: number) {
    if (search === '\n') scanned += this.length - (position ?? 0);
    return original.call(this, search, position);
  } as typeof String.prototype.indexOf;
  try {
    for (let n = 0; n < 256; n++) s.push(chunk);
    s.push('"}\n');
  } finally {
    String.prototype.indexOf = original;
  }
  assert.equal(s.lines, 1);
  assert.ok(scanned <= 2 * 256 * chunk.length, `searched ${scanned} characters for newlines to split ${256 * chunk.length}`);
});
