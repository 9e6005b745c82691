// kind -> REST path, from the server's own discovery documents (cached per
// cluster), so any kind the cluster serves can be applied. What is not served
// is asked again after a few seconds, and apply forgets a group version once
// its CRD is established.
import type { KubeObject } from '../core/model.js';
import { isClusterScoped } from '../core/object-keys.js';
import { KubeHttp } from './kube-http.js';
import { statusMessage } from './kube-types.js';

export interface ResourceInfo {
  /** "apps/v1" */
  groupVersion: string;
  /** plural, e.g. "deployments" */
  name: string;
  namespaced: boolean;
}

interface ApiResourceList {
  groupVersion: string;
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export class UnknownKindError extends Error {
  readonly code = 'EUNKNOWNKIND';
}

/**
 * Built-in kinds whose REST names Kubernetes fixed when they went GA (v1,
 * apps/v1 and networking.k8s.io/v1 are never renamed within Kubernetes 1.x):
 * observing and applying them needs no discovery request (their scope is
 * core/object-keys.ts's). Everything else, custom resources above all, is
 * looked up in the cluster's own documents.
 */
const BUILT_IN = new Map<string, string>([
  ['v1 Namespace', 'namespaces'], ['v1 ConfigMap', 'configmaps'], ['v1 Secret', 'secrets'],
  ['v1 Service', 'services'], ['v1 ServiceAccount', 'serviceaccounts'],
  ['apps/v1 Deployment', 'deployments'], ['apps/v1 ReplicaSet', 'replicasets'],
  ['apps/v1 StatefulSet', 'statefulsets'], ['apps/v1 DaemonSet', 'daemonsets'],
  ['networking.k8s.io/v1 Ingress', 'ingresses'],
]);

/** A kind missing from a cached group version is looked up again after this long (a CRD installed meanwhile). */
const MISS_RECHECK_MS = 5000;

export class Discovery {
  private cache = new Map<string, { at: number; byKind: Promise<Map<string, ResourceInfo>> }>();

  constructor(private readonly http: KubeHttp) {}

  private groupVersion(gv: string): Promise<Map<string, ResourceInfo>> {
    let entry = this.cache.get(gv);
    if (!entry) {
      const byKind = (async () => {
        const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
        const r = await this.http.request<ApiResourceList>({ path });
        if (r.status === 404) return new Map<string, ResourceInfo>();
        if (r.status !== 200 || !Array.isArray(r.body?.resources)) throw new Error(`discovery of ${gv}: ${statusMessage(r)}`);
        const out = new Map<string, ResourceInfo>();
        for (const res of r.body.resources) {
          if (res.name.includes('/')) continue; // subresources
          out.set(res.kind, { groupVersion: gv, name: res.name, namespaced: res.namespaced });
        }
        return out;
      })();
      entry = { at: Date.now(), byKind };
      const mine = entry;
      byKind.catch(() => { if (this.cache.get(gv) === mine) this.cache.delete(gv); }); // retry discovery after a failure
      this.cache.set(gv, entry);
    }
    return entry.byKind;
  }

  /** Forget what is known of a group version (a CRD for it was just established). */
  forget(gv: string): void {
    this.cache.delete(gv);
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const plural = BUILT_IN.get(`${apiVersion} ${kind}`);
    if (plural) return { groupVersion: apiVersion, name: plural, namespaced: !isClusterScoped(kind) };
    let info = (await this.groupVersion(apiVersion)).get(kind);
    // A 404 or a missing kind is not cached for the life of the connection.
    if (!info && Date.now() - (this.cache.get(apiVersion)?.at ?? 0) >= MISS_RECHECK_MS) {
      this.forget(apiVersion);
      info = (await this.groupVersion(apiVersion)).get(kind);
    }
    if (!info) throw new UnknownKindError(`the cluster does not serve ${kind} in ${apiVersion} (is its CRD installed, or is the apiVersion removed in this Kubernetes version?)`);
    return info;
  }

  /** Collection and object paths for an object. */
  async paths(obj: Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } }): Promise<{ collection: string; object: string; info: ResourceInfo }> {
    const info = await this.resource(obj.apiVersion, obj.kind);
    const base = info.groupVersion.includes('/') ? `/apis/${info.groupVersion}` : `/api/${info.groupVersion}`;
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(obj.metadata.namespace ?? 'default')}` : '';
    const collection = `${base}${ns}/${info.name}`;
    return { collection, object: `${collection}/${encodeURIComponent(obj.metadata.name)}`, info };
  }
}
