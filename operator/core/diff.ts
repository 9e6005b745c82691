// Desired (rendered) vs live, field by field, on plain objects. The live
// object is allowed to have more than Git says (server defaults such as a
// port's protocol, a container's terminationMessagePath, fields other
// managers own): only fields gitfed sets, and fields gitfed set before but
// Git no longer has, count. That is what makes "no change" really no write.
import { ownValue } from './own-value.js';

export type Path = Array<string | number>;

export interface FieldDiff {
  path: Path;
  /** Git's value; undefined when Git no longer sets the field. */
  want: unknown;
  /** Live value; undefined when the field is missing live. */
  have: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// Field names come from manifests (a ConfigMap key may be "constructor"): only own keys count.

/** Kubernetes stores some scalars as strings (quantities, int-or-string): 1 and "1" are equal. */
function scalarEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' && typeof b === 'string') || (typeof a === 'string' && typeof b === 'number')) return String(a) === String(b);
  return false;
}

function walk(want: unknown, have: unknown, path: Path, out: FieldDiff[]): void {
  if (isObj(want)) {
    if (!isObj(have)) { out.push({ path, want, have }); return; }
    for (const [k, v] of Object.entries(want)) walk(v, ownValue(have, k), [...path, k], out);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) { out.push({ path, want, have }); return; }
    want.forEach((v, i) => walk(v, have[i], [...path, i], out));
    return;
  }
  if (want === null && have === undefined) return;
  if (!scalarEqual(want, have)) out.push({ path, want, have });
}

/** Fields the live object must change to match Git. Ignores status and server-managed metadata. */
export function diffObject(desired: Record<string, unknown>, live: Record<string, unknown>, ownedPaths: Path[] = []): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const [k, v] of Object.entries(desired)) {
    if (k === 'status') continue;
    walk(v, ownValue(live, k), [k], out);
  }
  // Fields gitfed applied before that Git does not have any more: SSA would remove them.
  for (const p of ownedPaths) {
    if (p[0] === 'status' || hasPath(desired, p)) continue;
    const have = getPath(live, p);
    if (have !== undefined) out.push({ path: p, want: undefined, have });
  }
  return out;
}

export function getPath(obj: unknown, path: Path): unknown {
  let v = obj;
  for (const s of path) {
    if (Array.isArray(v) && typeof s === 'number') v = v[s];
    else if (isObj(v)) v = ownValue(v, String(s));
    else return undefined;
  }
  return v;
}

function hasPath(obj: unknown, path: Path): boolean {
  let v = obj;
  for (const s of path) {
    if (!isObj(v) || !Object.hasOwn(v, String(s))) return false;
    v = v[String(s)];
  }
  return true;
}

export function formatPath(path: Path): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

// --- managedFields (fieldsV1) -------------------------------------------------

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/** Map-only leaf paths a manager owns (list items are skipped: removal there is rare). */
export function ownedMapPaths(entries: readonly ManagedFieldsEntry[] | undefined, manager: string): Path[] {
  const out: Path[] = [];
  const visit = (node: Record<string, unknown>, path: Path) => {
    const keys = Object.keys(node).filter((k) => k !== '.');
    if (keys.length === 0 && path.length > 0) { out.push(path); return; }
    for (const k of keys) {
      if (!k.startsWith('f:')) continue; // k:/i:/v: are list items
      const child = node[k];
      if (isObj(child)) visit(child, [...path, k.slice(2)]);
    }
  };
  for (const e of entries ?? []) if (e.manager === manager && !e.subresource && isObj(e.fieldsV1)) visit(e.fieldsV1, []);
  return out;
}

/** Which manager owns a field of a live object (for drift reports), best effort for list items. */
export function managerOf(live: Record<string, unknown>, path: Path): string | undefined {
  const entries = ((live.metadata as { managedFields?: ManagedFieldsEntry[] } | undefined)?.managedFields) ?? [];
  let best: { manager: string; depth: number } | undefined;
  for (const e of entries) {
    if (!isObj(e.fieldsV1) || !e.manager) continue;
    const depth = ownedDepth(e.fieldsV1, path, live);
    if (depth > 0 && (!best || depth > best.depth)) best = { manager: e.manager, depth };
  }
  return best?.manager;
}

function ownedDepth(fields: Record<string, unknown>, path: Path, live: unknown): number {
  let node: unknown = fields;
  let value: unknown = live;
  let depth = 0;
  for (const seg of path) {
    if (!isObj(node)) break;
    let next: unknown;
    if (typeof seg === 'number') {
      const item = Array.isArray(value) ? value[seg] : undefined;
      // List items are keyed by their merge key (e.g. name) or position.
      next = Object.entries(node).find(([k]) => (k.startsWith('k:') && isObj(item) && keyMatches(k.slice(2), item)) || k === `i:${seg}`)?.[1];
      value = item;
    } else {
      next = node[`f:${seg}`];
      value = isObj(value) ? ownValue(value, seg) : undefined;
    }
    if (next === undefined) break;
    node = next;
    depth++;
  }
  return depth;
}

function keyMatches(json: string, item: Record<string, unknown>): boolean {
  try {
    const key = JSON.parse(json) as Record<string, unknown>;
    return Object.entries(key).every(([k, v]) => scalarEqual(v, ownValue(item, k)));
  } catch {
    return false;
  }
}
