// RFC 6902 JSON Patch on plain data, returning a new document or an error
// value. Small and dependency-free because Override errors must name the
// exact operation that failed.
import type { JsonPatchOp } from './model.js';

export type PatchResult = { ok: true; doc: unknown } | { ok: false; index: number; message: string };

/** "/a/b~1c/0" -> ["a", "b/c", "0"] (RFC 6901). */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean): number | undefined {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i <= (forAdd ? arr.length : arr.length - 1) ? i : undefined;
}

function get(doc: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(cur, t, false);
      if (i === undefined) return { found: false };
      cur = cur[i];
    } else if (isContainer(cur) && Object.prototype.hasOwnProperty.call(cur, t)) {
      cur = (cur as Record<string, unknown>)[t];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

function parentOf(doc: unknown, tokens: string[]): Container | undefined {
  const p = get(doc, tokens.slice(0, -1));
  return p.found && isContainer(p.value) ? p.value : undefined;
}

function add(doc: unknown, tokens: string[], value: unknown): unknown | Error {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (!parent) return new Error('the parent of the path does not exist');
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, true);
    if (i === undefined) return new Error(`array index "${last}" is out of range`);
    parent.splice(i, 0, value);
  } else {
    parent[last] = value;
  }
  return doc;
}

function remove(doc: unknown, tokens: string[]): { doc: unknown; removed: unknown } | Error {
  if (tokens.length === 0) return new Error('cannot remove the whole document');
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, false);
    if (i === undefined) return new Error('the path does not exist');
    return { doc, removed: parent.splice(i, 1)[0] };
  }
  if (!parent || !Object.prototype.hasOwnProperty.call(parent, last)) return new Error('the path does not exist');
  const removed = parent[last];
  delete parent[last];
  return { doc, removed };
}

/** Structural equality as RFC 6902 "test" defines it: object key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return ka.length === Object.keys(bo).length
    && ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]));
}

/**
 * Keys a patch may not name: assigning "__proto__" on a plain object changes
 * its prototype instead of adding a field (the value would vanish silently),
 * and "constructor"/"prototype" are the other two prototype-pollution routes.
 */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first forbidden key in a pointer, if any. */
export function forbiddenKeyIn(pointer: string): string | undefined {
  return parsePointer(pointer)?.find((t) => FORBIDDEN_KEYS.has(t));
}

export function applyJsonPatch(input: unknown, ops: readonly JsonPatchOp[]): PatchResult {
  let doc: unknown = structuredClone(input);
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]!;
    const path = parsePointer(op.path);
    const fail = (message: string): PatchResult => ({ ok: false, index, message: `${op.op} ${op.path}: ${message}` });
    if (!path) return fail('path must be a JSON pointer starting with "/"');
    const badKey = forbiddenKeyIn(op.path) ?? (op.from !== undefined ? forbiddenKeyIn(op.from) : undefined);
    if (badKey) return fail(`"${badKey}" may not appear in a path (it names the object's prototype, not a field)`);
    let r: unknown | Error;
    switch (op.op) {
      case 'add':
        r = add(doc, path, structuredClone(op.value));
        break;
      case 'remove': {
        const out = remove(doc, path);
        r = out instanceof Error ? out : out.doc;
        break;
      }
      case 'replace': {
        if (!get(doc, path).found) return fail('the path does not exist (use "add" to create it)');
        const out = remove(doc, path);
        r = out instanceof Error ? out : add(out.doc, path, structuredClone(op.value));
        break;
      }
      case 'move': case 'copy': {
        const from = op.from === undefined ? undefined : parsePointer(op.from);
        if (!from) return fail('"from" must be a JSON pointer');
        const src = get(doc, from);
        if (!src.found) return fail(`"from" ${op.from} does not exist`);
        if (op.op === 'move') {
          if (op.path.startsWith(op.from + '/')) return fail('cannot move a value into itself');
          const out = remove(doc, from);
          r = out instanceof Error ? out : add(out.doc, path, out.removed);
        } else {
          r = add(doc, path, structuredClone(src.value));
        }
        break;
      }
      case 'test': {
        const cur = get(doc, path);
        if (!cur.found || !deepEqual(cur.value, op.value)) return fail('test failed: the value differs');
        r = doc;
        break;
      }
      default:
        return fail(`unknown operation "${String((op as JsonPatchOp).op)}"`);
    }
    if (r instanceof Error) return fail(r.message);
    doc = r;
  }
  return { ok: true, doc };
}
