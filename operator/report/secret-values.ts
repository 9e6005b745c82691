// Secret values never leave gitfed in plan output, diffs or plan files: a
// reviewer sees that a value changed, and which, through a short hash.
import { createHash } from 'node:crypto';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import type { Path } from '../core/diff.js';

/** "sha256:1a2b3c4d5e6f" of a value's JSON text (stable for equal values). */
export function valueHash(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('hex').slice(0, 12)}`;
}

const SECRET_FIELDS = new Set(['data', 'stringData']);

/** True when `path` of an object of `kind` holds secret material. */
export function isSecretPath(kind: string, path: Path): boolean {
  return kind === 'Secret' && typeof path[0] === 'string' && SECRET_FIELDS.has(path[0]);
}

/** The value as a reviewer may see it: secret material replaced by hashes, key by key. */
export function maskValue(kind: string, path: Path, value: unknown): unknown {
  if (value === undefined || !isSecretPath(kind, path)) return value;
  if (path.length === 1 && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, valueHash(v)]));
  }
  return valueHash(value);
}

/** A copy of `obj` whose secret material (a Secret's data and stringData) is replaced by hashes; other objects as they are. */
export function maskObject<T extends { kind: string }>(obj: T): T {
  if (obj.kind !== 'Secret') return obj;
  const out = { ...obj } as Record<string, unknown>;
  for (const field of SECRET_FIELDS) if (out[field] !== undefined) out[field] = maskValue(obj.kind, [field], out[field]);
  return out as T;
}

/** A reconcile result as it may be printed (apply, plan, status --output json|yaml): every diff's secret values hashed. Drift is hashed where it is made. */
export function maskResult(r: ReconcileResult): ReconcileResult {
  return {
    ...r,
    clusters: r.clusters.map((c) => ({
      ...c,
      objects: c.objects.map((o) => (o.diff ? { ...o, diff: o.diff.map((d) => ({ path: d.path, want: maskValue(o.ref.kind, d.path, d.want), have: maskValue(o.ref.kind, d.path, d.have) })) } : o)),
    })),
  };
}
