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
