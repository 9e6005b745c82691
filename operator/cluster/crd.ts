// A CRD and its custom resources in one revision go in in one apply: the
// CRDs are applied first (their own rank), then this waits, bounded, until
// the apiserver reports them Established and serves their kinds, forgets the
// cached discovery of their group versions, and only then are the custom
// resources applied. Without the wait the resources fail with "the cluster
// does not serve ..." until some later tick.
import type { KubeObject } from '../core/model.js';
import { groupOf, refOf } from '../core/object-keys.js';
import type { ObjectResult } from './apply.js';
import { describe } from './apply.js';
import type { Connection } from './connect.js';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
export const DEFAULT_CRD_ESTABLISH_TIMEOUT_MS = 30_000;

interface CrdSpec { group?: string; names?: { kind?: string }; versions?: Array<{ name?: string; served?: boolean }> }

const crdKey = (group: string, kind: string) => `${group}/${kind}`;

/** "group/Kind" -> CRD name, for the CRDs among these objects. */
export function crdKinds(objects: readonly KubeObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = (o as KubeObject & { spec?: CrdSpec }).spec;
    if (spec?.group && spec.names?.kind) out.set(crdKey(spec.group, spec.names.kind), o.metadata.name);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until every CRD that was applied is Established and its kind is in
 * discovery. Returns "group/Kind" -> why it is not usable, for the ones that
 * did not get there within the timeout.
 */
export async function establishCrds(conn: Connection, crds: readonly KubeObject[], timeoutMs = DEFAULT_CRD_ESTABLISH_TIMEOUT_MS): Promise<Map<string, string>> {
  const pending = new Map<string, string>();
  const until = Date.now() + timeoutMs;
  await Promise.all(crds.map(async (crd) => {
    const spec = (crd as KubeObject & { spec?: CrdSpec }).spec;
    if (crd.kind !== 'CustomResourceDefinition' || !spec?.group || !spec.names?.kind) return;
    const key = crdKey(spec.group, spec.names.kind);
    const versions = (spec.versions ?? []).filter((v) => v.name && v.served !== false).map((v) => `${spec.group}/${v.name}`);
    let why = 'not Established yet';
    for (let delay = 50; ; delay = Math.min(1000, delay * 2)) {
      const r = await conn.http.request<{ status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>({ path: `${CRD_PATH}/${encodeURIComponent(crd.metadata.name)}` }).catch((e: Error) => ({ status: 0, body: undefined, text: e.message }));
      const conds = r.status === 200 ? r.body?.status?.conditions ?? [] : [];
      const established = conds.some((c) => c.type === 'Established' && c.status === 'True');
      if (established) {
        for (const gv of versions) conn.discovery.forget(gv);
        const served = await Promise.all(versions.map((gv) => conn.discovery.resource(gv, spec.names!.kind!).then(() => true, () => false)));
        if (served.every(Boolean)) return;
        why = 'Established but not yet in discovery';
      } else if (r.status === 401 || r.status === 403) {
        why = `gitfed may not read it (HTTP ${r.status})`;
        break; // waiting longer will not help
      } else {
        why = conds.find((c) => c.type === 'NamesAccepted' && c.status === 'False')?.message ?? (r.status === 200 ? 'not Established yet' : `HTTP ${r.status}`);
      }
      if (Date.now() + delay > until) break;
      await sleep(delay);
    }
    pending.set(key, `its CustomResourceDefinition ${crd.metadata.name} is not usable after ${Math.round(timeoutMs / 1000)} s: ${why}`);
  }));
  return pending;
}

/**
 * The result for a custom resource whose CRD is part of this apply, when it
 * cannot be sent: its CRD did not become usable (a clear error instead of
 * "not served"), or a dry run, where the CRD is not really created (then it
 * would be created). Undefined: apply it normally.
 */
export async function customResourceVerdict(conn: Connection, obj: KubeObject, kinds: Map<string, string>, unusable: Map<string, string>, dryRun: boolean): Promise<ObjectResult | undefined> {
  const key = crdKey(groupOf(obj.apiVersion), obj.kind);
  if (!kinds.has(key)) return undefined;
  const ref = refOf(obj);
  const why = unusable.get(key);
  if (why) return { ref, action: 'failed', error: `${describe(conn.cluster, ref)}: ${why}` };
  if (dryRun && !(await conn.discovery.resource(obj.apiVersion, obj.kind).then(() => true, () => false))) return { ref, action: 'created' };
  return undefined;
}
