// Field-level drift: for every object gitfed owns, which fields it set now
// differ live, with Git's value, the live value (a Secret's as hashes) and
// the field manager that changed it. Objects deleted by hand are drift too.
import { formatPath, managerOf } from '../core/diff.js';
import type { DriftPolicy, KubeObject, ObjectRef } from '../core/model.js';
import { keyOf, refOf } from '../core/object-keys.js';
import { selectsResource } from '../core/selectors.js';
import { maskValue } from '../report/secret-values.js';
import { liveDiff, toApply } from './live-diff.js';
import { kindKey } from './observe.js';

export interface DriftedField {
  path: string;
  git: unknown;
  live: unknown;
  manager?: string;
}

export interface Drift {
  cluster: string;
  ref: ObjectRef;
  /** deleted: the object is gone; modified: fields differ */
  kind: 'deleted' | 'modified';
  fields: DriftedField[];
  mode: 'report' | 'heal';
}

export function driftMode(obj: KubeObject, policies: readonly DriftPolicy[]): 'report' | 'heal' {
  const p = policies.find((x) => !x.resources || selectsResource(x.resources, obj));
  return p?.mode ?? 'report';
}

/** Only objects gitfed already owns can drift; new or adopted objects are plain changes. */
/**
 * `unobservedKinds` (kindKey) are kinds whose LIST failed this tick: their
 * objects are missing from `owned` because nobody could look, not because
 * someone deleted them, so they are not reported as deleted.
 */
export function detectDrift(cluster: string, desired: readonly KubeObject[], owned: Map<string, KubeObject>, everOwned: ReadonlySet<string>, policies: readonly DriftPolicy[], unobservedKinds?: ReadonlySet<string>): Drift[] {
  const out: Drift[] = [];
  for (const d of desired) {
    const obj = toApply(d);
    const ref = refOf(obj);
    const key = keyOf(ref);
    const live = owned.get(key);
    const mode = driftMode(obj, policies);
    if (!live) {
      if (everOwned.has(key) && !unobservedKinds?.has(kindKey(obj.apiVersion, obj.kind))) out.push({ cluster, ref, kind: 'deleted', fields: [], mode });
      continue;
    }
    const diffs = liveDiff(d, live);
    if (diffs.length === 0) continue;
    out.push({
      cluster, ref, kind: 'modified', mode,
      fields: diffs.map((f) => {
        const manager = managerOf(live as Record<string, unknown>, f.path);
        // Shown in status, logs and notes: a Secret's values only as hashes.
        return { path: formatPath(f.path), git: maskValue(ref.kind, f.path, f.want), live: maskValue(ref.kind, f.path, f.have), ...(manager ? { manager } : {}) };
      }),
    });
  }
  return out;
}
