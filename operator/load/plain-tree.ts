// A parsed YAML document -> a tree of JSON values that shares nothing.
// yaml's toJS gives an alias the very object of its anchor: one object in two
// places (an Override patching a Deployment's template labels would change
// the selector aliased to them too) and, for an alias inside its own anchor,
// a cycle. Explicit tags (!!set, !!omap, !!binary, !!timestamp) give a Set, a
// Map, bytes or a Date, and .inf / .nan give numbers JSON has no text for: what
// is applied is JSON, so those would become {} or null without a word. This
// copies the tree or says which problem stopped it; the caller finds the line
// (./parse-yaml.ts).
import { isAlias, isCollection, isScalar, visit, type Document, type Node } from 'yaml';

export type PlainProblem = 'cycle' | 'notJson' | 'tooBig';

const isJsonLeaf = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * `budget.left` is how many more values (leaves, lists, mappings) the copies
 * may hold: yaml's maxAliasCount still lets a few kilobytes of aliases stand
 * for a hundred times more data, which a copy would make real.
 */
export function plainTree(value: unknown, budget: { left: number }): { value: unknown } | { problem: PlainProblem } {
  // The objects on the path from the root: meeting one again is a cycle.
  const open = new Set<object>();
  let problem: PlainProblem | undefined;
  const copy = (v: unknown): unknown => {
    if (problem) return null;
    if (--budget.left < 0) { problem = 'tooBig'; return null; }
    if (typeof v !== 'object' || v === null) {
      if (!isJsonLeaf(v)) problem = 'notJson';
      return v;
    }
    if (open.has(v)) { problem = 'cycle'; return null; }
    const isArray = Array.isArray(v);
    if (!isArray && Object.getPrototypeOf(v) !== Object.prototype) { problem = 'notJson'; return null; }
    open.add(v);
    let out: unknown;
    if (isArray) out = v.map(copy);
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        // A "__proto__" key is data (yaml defines it the same way), not the prototype.
        if (k === '__proto__') Object.defineProperty(o, k, { value: copy(x), writable: true, enumerable: true, configurable: true });
        else o[k] = copy(x);
      }
      out = o;
    }
    open.delete(v);
    return out;
  };
  const out = copy(value);
  return problem ? { problem } : { value: out };
}

const NOT_JSON_TAGS = new Set(['tag:yaml.org,2002:set', 'tag:yaml.org,2002:omap']);
const shortTag = (tag: string) => tag.replace(/^tag:yaml\.org,2002:/, '!!');

export interface Spot { offset: number; message: string }

/**
 * Where plainTree's problem is in the source: each alias inside its own
 * anchor (the only way YAML makes a cycle), or the first node that has no
 * JSON value; or, for toJS's "unresolved alias", each alias with no anchor
 * before it. Empty if nothing is found (the caller points at the document).
 */
export function findProblem(doc: Document, problem: 'cycle' | 'notJson' | 'unresolved'): Spot[] {
  const spots: Spot[] = [];
  // The last node with each anchor so far, in document order: the one an alias means.
  const anchors = new Map<string, Node>();
  visit(doc, {
    Node: (key, node, path) => {
      const at = node.range?.[0] ?? 0;
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (problem === 'unresolved' && target === undefined) {
          spots.push({ offset: at, message: `the alias *${node.source} has no anchor &${node.source} before it` });
        } else if (problem === 'cycle' && target !== undefined && path.includes(target)) {
          spots.push({ offset: at, message: `the alias *${node.source} is inside its own anchor &${node.source}: a value cannot contain itself; write the inner value out` });
        }
        return undefined;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      // Keys become strings whatever they are; only values can be what JSON lacks.
      if (problem !== 'notJson' || spots.length > 0 || key === 'key') return undefined;
      if (isScalar(node) && !isJsonLeaf(node.value)) {
        spots.push({
          offset: at,
          message: typeof node.value === 'number'
            ? `${String(node.source ?? node.value)} is not a number JSON (what gitfed applies) can hold; write a finite number, or quote it for a string`
            : `the YAML tag ${shortTag(node.tag ?? '')} gives a value JSON (what gitfed applies) cannot hold; remove the tag (a quoted string stays as written)`,
        });
      } else if (isCollection(node) && node.tag && NOT_JSON_TAGS.has(node.tag)) {
        spots.push({ offset: at, message: `the YAML tag ${shortTag(node.tag)} gives a value JSON (what gitfed applies) cannot hold; write a plain list or mapping` });
      }
      return undefined;
    },
  });
  return spots;
}
