// Server-side apply of one cluster's rendered objects, in order, with
// bounded parallelism inside each rank, retries on throttling and server
// errors, and no request at all for an object that already matches Git.
import type { FieldDiff } from '../core/diff.js';
import { deepEqual } from '../core/json-patch.js';
import { FIELD_MANAGER, FLEET_LABEL, NO_PRUNE_ANNOTATION } from '../core/labels.js';
import type { KubeObject, ObjectRef } from '../core/model.js';
import { applyRank, keyOf, refOf } from '../core/object-keys.js';
import type { Connection } from './connect.js';
import { crdKinds, customResourceVerdict, establishCrds } from './crd.js';
import { statusMessage } from './kube-types.js';
import { liveDiff, toApply } from './live-diff.js';

export type ObjectAction = 'created' | 'updated' | 'adopted' | 'unchanged' | 'failed' | 'skipped';

export interface ObjectResult {
  ref: ObjectRef;
  action: ObjectAction;
  diff?: FieldDiff[];
  /** cluster/kind/ns/name: the apiserver's message */
  error?: string;
  /** A generated object (namespace, GLBC uid) another fleet owns with the same content: used, never owned, so never drift. */
  sharedWith?: string;
  /** Fields another field manager owns that this apply takes over (plan only). */
  conflict?: string;
}

export interface ApplyOptions {
  dryRun: boolean;
  /** Take fields from other managers (heal, or an explicit apply of a new revision). */
  force: boolean;
  concurrency?: number;
  /** Only these object keys are written; others are compared only (drift "report" mode). */
  onlyKeys?: Set<string>;
  /** How long CRDs of this apply may take to become Established before their resources are applied (default 30 s). */
  crdEstablishTimeoutMs?: number;
  /** Dry run: first try without force, so a plan can show server-side apply conflicts. */
  reportConflicts?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function getLive(conn: Connection, obj: KubeObject): Promise<KubeObject | undefined> {
  const { object } = await conn.discovery.paths(obj);
  const r = await conn.http.request<KubeObject>({ path: object });
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${statusMessage(r)}`);
  return r.body;
}

async function ssa(conn: Connection, obj: KubeObject, opts: ApplyOptions): Promise<{ status: number; message: string; body?: unknown }> {
  const { object } = await conn.discovery.paths(obj);
  const q = `?fieldManager=${FIELD_MANAGER}${opts.force ? '&force=true' : ''}${opts.dryRun ? '&dryRun=All' : ''}`;
  for (let attempt = 0; ; attempt++) {
    const r = await conn.http.request({ method: 'PATCH', path: object + q, contentType: 'application/apply-patch+yaml', body: JSON.stringify(obj) }).catch((e: Error) => ({ status: 0, text: e.message, body: undefined }));
    // Transport errors, throttling, server errors and conflicts are worth another try.
    const retryable = r.status === 0 || (r.status === 409 && opts.force) || r.status === 429 || r.status >= 500;
    if (!retryable || attempt >= 3) return { status: r.status, message: r.status === 0 ? r.text : statusMessage(r as never), body: r.body };
    await sleep(200 * 2 ** attempt);
  }
}

/** The other fleet that owns a live object, if any. */
function otherFleet(desired: KubeObject, live: KubeObject | undefined): string | undefined {
  const theirs = live?.metadata.labels?.[FLEET_LABEL];
  return theirs && theirs !== desired.metadata.labels?.[FLEET_LABEL] ? theirs : undefined;
}

export function describe(cluster: string, ref: ObjectRef): string {
  return `${cluster} ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * `created`: namespaces this apply created (their PATCH answered 201): nothing
 * can be in them yet but what a controller makes for every new namespace
 * (kube-root-ca.crt, the default ServiceAccount), which no fleet owns.
 */
async function applyOne(conn: Connection, desired: KubeObject, owned: Map<string, KubeObject>, created: ReadonlySet<string>, opts: ApplyOptions): Promise<ObjectResult> {
  const obj = toApply(desired);
  const ref = refOf(obj);
  const key = keyOf(ref);
  try {
    // Not owned yet: GET it first, to show what adoption would change and to
    // refuse an object another gitfed fleet owns (SSA would silently take it).
    // Except in a namespace this apply just created: nothing is there to show
    // or refuse, and a cold apply sends half the requests (another writer
    // could race the PATCH there just as it could race a GET and the PATCH).
    const owns = owned.get(key);
    const fresh = !!ref.namespace && created.has(ref.namespace);
    const live = owns ?? (fresh ? undefined : await getLive(conn, obj));
    const foreign = owns ? undefined : otherFleet(desired, live);
    if (foreign) {
      // What gitfed generates (a namespace manifests use, the GLBC uid
      // ConfigMap) is shared by every fleet in the cluster: when another
      // fleet's copy already says the same, there is nothing to do.
      const generated = desired.metadata.annotations?.[NO_PRUNE_ANNOTATION] === 'false';
      if (generated && (desired.kind === 'Namespace' || deepEqual(desired.data, live!.data))) return { ref, action: 'unchanged', sharedWith: foreign };
      return { ref, action: 'failed', error: `${describe(conn.cluster, ref)}: owned by another gitfed fleet "${foreign}" (label ${FLEET_LABEL}=${foreign}); gitfed never adopts another fleet's objects: remove it from one of the two fleets` };
    }
    const diff = live ? liveDiff(desired, live) : undefined;
    if (live && diff!.length === 0) return { ref, action: 'unchanged' };
    if (opts.onlyKeys && !opts.onlyKeys.has(key)) return { ref, action: 'skipped', ...(diff ? { diff } : {}) };
    // A plan asks once without force: a 409 names the fields and managers a forced apply would take over.
    const conflict = opts.dryRun && opts.reportConflicts ? await ssa(conn, obj, { ...opts, force: false }) : undefined;
    const r = conflict && conflict.status !== 409 ? conflict : await ssa(conn, obj, opts);
    const conflictInfo = conflict?.status === 409 ? { conflict: conflict.message } : {};
    // A dry run cannot place an object in a namespace the same plan creates first.
    if (opts.dryRun && !live && r.status === 404 && /namespaces? "[^"]+" not found/.test(r.message)) return { ref, action: 'created' };
    if (r.status !== 200 && r.status !== 201) {
      const hint = r.status === 409 ? ' (another field manager owns these fields; a DriftPolicy with mode: heal takes them back)' : '';
      return { ref, action: 'failed', error: `${describe(conn.cluster, ref)}: ${r.status ? `HTTP ${r.status}: ` : ''}${r.message}${hint}`, ...(diff ? { diff } : {}) };
    }
    // The operator's watch caches hold the written object until its event arrives (read-your-writes).
    if (!opts.dryRun) for (const c of conn.caches?.values() ?? []) c.wrote(r.body as KubeObject);
    const action: ObjectAction = owns ? 'updated' : (live ? false : r.status === 201) ? 'created' : 'adopted';
    return { ref, action, ...(diff ? { diff } : {}), ...conflictInfo };
  } catch (e) {
    return { ref, action: 'failed', error: `${describe(conn.cluster, ref)}: ${(e as Error).message}` };
  }
}

/**
 * Apply in rank order (namespaces, CRDs, uid ConfigMap, Services, workloads,
 * Ingresses); parallel within a rank. After the CRDs' rank, wait until they
 * are Established so their custom resources go in in the same apply.
 */
export async function applyCluster(conn: Connection, objects: readonly KubeObject[], owned: Map<string, KubeObject>, opts: ApplyOptions): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  const crds = crdKinds(objects);
  let unusable = new Map<string, string>();
  const limit = opts.concurrency ?? 32;
  const created = new Set<string>();
  let i = 0;
  while (i < objects.length) {
    const rank = applyRank(objects[i]!);
    let j = i;
    while (j < objects.length && applyRank(objects[j]!) === rank) j++;
    const group = objects.slice(i, j);
    const out: ObjectResult[] = new Array(group.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(limit, group.length) }, async () => {
      while (next < group.length) {
        const k = next++;
        out[k] = (crds.size ? await customResourceVerdict(conn, group[k]!, crds, unusable, opts.dryRun) : undefined) ?? await applyOne(conn, group[k]!, owned, created, opts);
      }
    }));
    results.push(...out);
    // Namespaces go first (their own rank), so every object in them sees this.
    group.forEach((o, n) => { if (o.kind === 'Namespace' && out[n]!.action === 'created') created.add(o.metadata.name); });
    if (group.some((o) => o.kind === 'CustomResourceDefinition') && !opts.dryRun) {
      // Only CRDs written now can be on their way; an unchanged one is served already.
      const written = group.filter((o, n) => o.kind === 'CustomResourceDefinition' && ['created', 'updated', 'adopted'].includes(out[n]!.action));
      unusable = await establishCrds(conn, written, opts.crdEstablishTimeoutMs);
    }
    i = j;
  }
  return results;
}
