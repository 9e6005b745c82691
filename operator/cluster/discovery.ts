// kind -> REST path, from the server's own discovery documents (fetched once
// per cluster and cached), so any kind the cluster serves can be applied.
import type { KubeObject } from '../core/model.js';
import { KubeHttp, statusMessage } from './kube-http.js';

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

export class Discovery {
  private cache = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(private readonly http: KubeHttp) {}

  private groupVersion(gv: string): Promise<Map<string, ResourceInfo>> {
    let p = this.cache.get(gv);
    if (!p) {
      p = (async () => {
        const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
        const r = await this.http.request<ApiResourceList>({ path });
        if (r.status === 404) return new Map();
        if (r.status !== 200) throw new Error(`discovery of ${gv}: ${statusMessage(r)}`);
        const byKind = new Map<string, ResourceInfo>();
        for (const res of r.body.resources) {
          if (res.name.includes('/')) continue; // subresources
          byKind.set(res.kind, { groupVersion: gv, name: res.name, namespaced: res.namespaced });
        }
        return byKind;
      })();
      p.catch(() => this.cache.delete(gv)); // retry discovery after a failure
      this.cache.set(gv, p);
    }
    return p;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = (await this.groupVersion(apiVersion)).get(kind);
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
