// RFC 6902 as Overrides use it: each op, and the error that names the failing op.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyJsonPatch } from '../../operator/core/json-patch.js';
import type { JsonPatchOp } from '../../operator/core/model.js';

const place = { file: 'policies/o.yaml', line: 1, col: 1 };
const ops = (...list: Array<Omit<JsonPatchOp, 'place'>>): JsonPatchOp[] => list.map((o) => ({ ...o, place }));
const doc = () => ({ metadata: { labels: { a: '1' } }, spec: { list: [1, 2, 3], 'x/y': { '~': true } } });

const good: Array<[string, JsonPatchOp[], unknown]> = [
  ['add a key', ops({ op: 'add', path: '/metadata/labels/b', value: '2' }), { ...doc(), metadata: { labels: { a: '1', b: '2' } } }],
  ['add to the end of a list', ops({ op: 'add', path: '/spec/list/-', value: 4 }), { ...doc(), spec: { ...doc().spec, list: [1, 2, 3, 4] } }],
  ['insert into a list', ops({ op: 'add', path: '/spec/list/0', value: 0 }), { ...doc(), spec: { ...doc().spec, list: [0, 1, 2, 3] } }],
  ['remove', ops({ op: 'remove', path: '/spec/list/1' }), { ...doc(), spec: { ...doc().spec, list: [1, 3] } }],
  ['replace', ops({ op: 'replace', path: '/metadata/labels/a', value: 'z' }), { ...doc(), metadata: { labels: { a: 'z' } } }],
  ['escaped pointer tokens', ops({ op: 'replace', path: '/spec/x~1y/~0', value: false }), { ...doc(), spec: { ...doc().spec, 'x/y': { '~': false } } }],
  ['move', ops({ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/b' }), { ...doc(), metadata: { labels: { b: '1' } } }],
  ['copy', ops({ op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' }), { ...doc(), metadata: { labels: { a: '1', c: '1' } } }],
  ['test compares objects ignoring key order', ops({ op: 'test', path: '/spec/x~1y', value: { '~': true } }, { op: 'test', path: '', value: { spec: { 'x/y': { '~': true }, list: [1, 2, 3] }, metadata: { labels: { a: '1' } } } }), doc()],
  ['test then replace', ops({ op: 'test', path: '/metadata/labels/a', value: '1' }, { op: 'replace', path: '/metadata/labels/a', value: '2' }), { ...doc(), metadata: { labels: { a: '2' } } }],
];
for (const [name, patch, want] of good) {
  test(`json patch: ${name}`, () => {
    const input = doc();
    const r = applyJsonPatch(input, patch);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.doc, want);
    assert.deepEqual(input, doc(), 'the input is not changed');
  });
}

const bad: Array<[string, JsonPatchOp[], number, RegExp]> = [
  ['replace of a missing path', ops({ op: 'replace', path: '/spec/nope', value: 1 }), 0, /does not exist \(use "add"/],
  ['remove out of range', ops({ op: 'add', path: '/a', value: 1 }, { op: 'remove', path: '/spec/list/9' }), 1, /does not exist/],
  ['add under a missing parent', ops({ op: 'add', path: '/x/y', value: 1 }), 0, /parent of the path does not exist/],
  ['failed test', ops({ op: 'test', path: '/metadata/labels/a', value: '2' }), 0, /test failed/],
  ['pointer without a slash', ops({ op: 'add', path: 'spec', value: 1 }), 0, /JSON pointer/],
  ['add to __proto__ (would change the prototype, and the value would vanish)', ops({ op: 'add', path: '/metadata/__proto__', value: { polluted: true } }), 0, /"__proto__" may not appear in a path/],
  ['add of a key under __proto__', ops({ op: 'add', path: '/__proto__/polluted', value: true }), 0, /"__proto__" may not appear/],
  ['add to constructor', ops({ op: 'add', path: '/constructor', value: 1 }), 0, /"constructor" may not appear/],
  ['add under prototype', ops({ op: 'add', path: '/spec/prototype', value: 1 }), 0, /"prototype" may not appear/],
  ['copy from __proto__', ops({ op: 'copy', from: '/__proto__', path: '/spec/p' }), 0, /"__proto__" may not appear/],
  ['test where arrays differ in order', ops({ op: 'test', path: '/spec/list', value: [3, 2, 1] }), 0, /test failed/],
  ['move into itself', ops({ op: 'move', from: '/spec', path: '/spec/list/0' }), 0, /into itself/],
];
for (const [name, patch, index, message] of bad) {
  test(`json patch: ${name} is an error naming op ${index}`, () => {
    const r = applyJsonPatch(doc(), patch);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.index, index);
      assert.match(r.message, message);
    }
  });
}

test('json patch: an add to __proto__ never reaches any prototype', () => {
  const r = applyJsonPatch({ a: {} }, ops({ op: 'add', path: '/a/__proto__', value: { polluted: true } }));
  assert.equal(r.ok, false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
