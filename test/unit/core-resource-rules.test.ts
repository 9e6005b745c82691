// Fleet spec.resources patterns: `*` is any run of characters, everything else
// is itself, and a match costs time in proportion to pattern x name, whatever
// the fleet repo writes (the RegExp this replaced backtracked exponentially).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, ResourceRule } from '../../operator/core/model.js';
import { globMatch, ruleMatches } from '../../operator/core/resource-rules.js';

const place = { file: 'policies/fleet.yaml', line: 8, col: 9 };
const configMap = (namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace } });

test('resource rules: ordinary patterns match as written', () => {
  const table: Array<[pattern: string, text: string, matches: boolean]> = [
    ['*', 'anything', true],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['shop', 'shop', true],
    ['shop', 'shop-eu', false],
    ['shop*', 'shop', true],
    ['shop*', 'shop-eu', true],
    ['shop*', 'kube-system', false],
    ['*-system', 'kube-system', true],
    ['*-system', 'kube-system-2', false],
    ['*.k8s.io', 'networking.k8s.io', true],
    ['*.k8s.io', 'k8s.io', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'a-b-c', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['**', 'x', true],
    ['*x*', 'x', true],
    // RegExp metacharacters are themselves, as the escaping RegExp had them.
    ['a.c', 'abc', false],
    ['a.c', 'a.c', true],
    ['[ab]', 'a', false],
    ['(x)+?', '(x)+?', true],
    ['^$|{}\\', '^$|{}\\', true],
  ];
  for (const [pattern, text, matches] of table) assert.equal(globMatch(pattern, text), matches, `${JSON.stringify(pattern)} on ${JSON.stringify(text)}`);
});

test('resource rules: "*a*a*a*a*a*a*b" against a 63-character namespace of a\'s answers false (it took 11 s for four objects)', () => {
  const rule: ResourceRule = { namespace: '*a*a*a*a*a*a*b', place };
  assert.equal(ruleMatches(rule, configMap('a'.repeat(63))), false);
  assert.equal(ruleMatches(rule, configMap(`${'a'.repeat(62)}b`)), true);
});

test('resource rules: forty "*a" before a "b" against 63 a\'s answers false (the RegExp would not finish in a lifetime)', () => {
  const rule: ResourceRule = { namespace: `${'*a'.repeat(40)}*b`, place };
  assert.equal(ruleMatches(rule, configMap('a'.repeat(63))), false);
  assert.equal(globMatch(`${'*a'.repeat(64)}*`, 'a'.repeat(63)), false, 'sixty-four a\'s in 63 characters');
  assert.equal(globMatch(`${'*a'.repeat(40)}*`, 'a'.repeat(63)), true, 'forty a\'s in 63 characters');
});

test('resource rules: the matcher agrees with the RegExp it replaced on every short pattern and name (line breaks included)', () => {
  const old = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const all = (alphabet: string[], max: number): string[] => {
    const out = [''];
    for (let i = 0; out[i]!.length < max; i++) for (const c of alphabet) out.push(out[i] + c);
    return out;
  };
  const texts = all(['a', 'b', '.', '\n'], 5);
  let compared = 0;
  for (const pattern of all(['a', 'b', '.', '\n', '*'], 4)) {
    const re = old(pattern);
    for (const text of texts) {
      compared++;
      if (re.test(text) !== globMatch(pattern, text)) assert.fail(`${JSON.stringify(pattern)} on ${JSON.stringify(text)}: RegExp ${re.test(text)}, globMatch ${globMatch(pattern, text)}`);
    }
  }
  assert.ok(compared > 1_000_000);
});
