// Delete what this fleet owns in a cluster but no longer renders. Never runs
// for a revision that failed to load or render (the caller only calls it
// with a successful render), and refuses to delete everything at once.
import { NO_PRUNE_ANNOTATION } from '../core/labels.js';
import type { KubeObject, ObjectRef } from '../core/model.js';
import { keyOf, refOf } from '../core/object-keys.js';
import { describe } from './apply.js';
import type { Connection } from './connect.js';
import { statusMessage } from './kube-types.js';

export interface PruneResult {
  ref: ObjectRef;
  action: 'pruned' | 'failed' | 'would-prune';
  error?: string;
}

export function pruneCandidates(owned: Map<string, KubeObject>, desired: readonly KubeObject[]): KubeObject[] {
  const keep = new Set(desired.map((o) => keyOf(refOf(o))));
  return [...owned.entries()]
    .filter(([k, o]) => !keep.has(k) && o.metadata.annotations?.[NO_PRUNE_ANNOTATION] !== 'false' && !(o.metadata as { ownerReferences?: unknown[] }).ownerReferences?.length)
    .map(([, o]) => o);
}

export class PruneAllRefused extends Error {
  readonly code = 'EPRUNEALL';
}

export async function pruneCluster(conn: Connection, owned: Map<string, KubeObject>, desired: readonly KubeObject[], opts: { dryRun: boolean; pruneAll: boolean }): Promise<PruneResult[]> {
  const candidates = pruneCandidates(owned, desired);
  const prunable = [...owned.values()].filter((o) => o.metadata.annotations?.[NO_PRUNE_ANNOTATION] !== 'false');
  if (candidates.length > 0 && candidates.length === prunable.length && !opts.pruneAll) {
    throw new PruneAllRefused(`cluster ${conn.cluster}: pruning would delete all ${candidates.length} object(s) this fleet owns there; if that is really wanted, run with --prune-all or set Fleet spec.allowPruneAll: true`);
  }
  return Promise.all(candidates.map(async (o): Promise<PruneResult> => {
    const ref = refOf(o);
    if (opts.dryRun) return { ref, action: 'would-prune' };
    const { object } = await conn.discovery.paths(o);
    // Delete exactly the object that was observed: one recreated under the same
    // name since (another uid, perhaps someone else's) fails the precondition.
    const uid = o.metadata.uid;
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) };
    const r = await conn.http.request({ method: 'DELETE', path: object, body }).catch((e: Error) => ({ status: 0, text: e.message, body: undefined }));
    if (r.status === 200 || r.status === 202 || r.status === 404) return { ref, action: 'pruned' };
    if (r.status === 409 && uid) return { ref, action: 'failed', error: `${describe(conn.cluster, ref)}: not deleted: it was recreated since gitfed observed it (uid ${uid} is gone); the new object is left alone` };
    return { ref, action: 'failed', error: `${describe(conn.cluster, ref)}: delete failed: ${r.status ? statusMessage(r as never) : r.text}` };
  }));
}
