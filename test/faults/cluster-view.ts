// Reading (and, for set-up, writing) a sandbox cluster directly with the
// admin token, to judge what gitfed did: which rendered objects are there,
// what the GLBC uid ConfigMap holds, what this fleet owns outside its namespace.
import { FLEET_LABEL, INGRESS_UID_NAME, INGRESS_UID_NAMESPACE } from '../../operator/core/labels.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import type { SandboxCluster } from '../../operator/sandbox/index.js';
import type { ObjectKey } from './fleet.js';

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces', ConfigMap: 'configmaps', Service: 'services', Deployment: 'deployments', Ingress: 'ingresses',
  Secret: 'secrets', CustomResourceDefinition: 'customresourcedefinitions',
};

export function objectPath(k: ObjectKey, plural = PLURALS[k.kind] ?? `${k.kind.toLowerCase()}s`): string {
  const base = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  return `${base}${k.namespace ? `/namespaces/${k.namespace}` : ''}/${plural}/${encodeURIComponent(k.name)}`;
}

export class ClusterView {
  readonly http: KubeHttp;
  constructor(readonly cluster: SandboxCluster) {
    this.http = new KubeHttp({ server: cluster.server, ca: cluster.ca, token: cluster.adminToken }, 5000);
  }

  async get(path: string): Promise<any | undefined> {
    const r = await this.http.request<any>({ path });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`${this.cluster.name} GET ${path}: HTTP ${r.status}`);
    return r.body;
  }

  /** The rendered objects this cluster does not hold (transport errors count as "cannot tell": thrown). */
  async missing(keys: ObjectKey[]): Promise<ObjectKey[]> {
    const out: ObjectKey[] = [];
    for (const k of keys) if (!(await this.get(objectPath(k)))) out.push(k);
    return out;
  }

  /** Every rendered object is there and every ConfigMap carries revision `rev`. */
  async holds(keys: ObjectKey[], rev: number): Promise<boolean> {
    for (const k of keys) {
      const o = await this.get(objectPath(k));
      if (!o) return false;
      if (k.kind === 'ConfigMap' && o.data?.rev !== undefined && o.data.rev !== String(rev)) return false;
    }
    return true;
  }

  async ingressUid(): Promise<Record<string, string> | undefined> {
    return (await this.get(`/api/v1/namespaces/${INGRESS_UID_NAMESPACE}/configmaps/${INGRESS_UID_NAME}`))?.data;
  }

  /** Put kube-system/ingress-uid back to `data` (undefined: delete it). */
  async setIngressUid(data: Record<string, string> | undefined): Promise<void> {
    const path = `/api/v1/namespaces/${INGRESS_UID_NAMESPACE}/configmaps/${INGRESS_UID_NAME}`;
    if (!data) {
      await this.http.request({ method: 'DELETE', path });
      return;
    }
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: INGRESS_UID_NAME, namespace: INGRESS_UID_NAMESPACE }, data };
    const r = await this.http.request({ method: 'PATCH', path: `${path}?fieldManager=fault-suite&force=true`, contentType: 'application/apply-patch+yaml', body: JSON.stringify(body) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`${this.cluster.name}: could not set ${INGRESS_UID_NAMESPACE}/${INGRESS_UID_NAME}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }

  /** Create or replace an object as the suite (server-side apply with its own field manager). */
  async put(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, plural?: string): Promise<void> {
    const path = objectPath({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) }, plural);
    const r = await this.http.request({ method: 'PATCH', path: `${path}?fieldManager=fault-suite&force=true`, contentType: 'application/apply-patch+yaml', body: JSON.stringify(obj) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`${this.cluster.name}: could not apply ${obj.kind} ${obj.metadata.name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }

  async delete(path: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path });
  }

  /** Objects labelled with this fleet that live outside its namespaces (a fleet must not reach there). */
  async ownedOutside(fleet: string, namespaces: string[]): Promise<string[]> {
    const sel = encodeURIComponent(`${FLEET_LABEL}=${fleet}`);
    const out: string[] = [];
    for (const path of ['/api/v1/configmaps', '/api/v1/services', '/api/v1/secrets', '/apis/apps/v1/deployments', '/apis/networking.k8s.io/v1/ingresses']) {
      const r = await this.http.request<any>({ path: `${path}?labelSelector=${sel}` });
      for (const o of r.body?.items ?? []) {
        const ns = o.metadata.namespace as string;
        if (namespaces.includes(ns)) continue;
        if (ns === INGRESS_UID_NAMESPACE && o.metadata.name === INGRESS_UID_NAME) continue; // rendered on purpose for GCE fleets
        out.push(`${this.cluster.name} ${path.split('/').pop()} ${ns}/${o.metadata.name}`);
      }
    }
    return out;
  }

  close(): void {
    this.http.close();
  }
}

/** Run `fn` with a view of each cluster, closing them afterwards. */
export async function withViews<T>(clusters: SandboxCluster[], fn: (views: ClusterView[]) => Promise<T>): Promise<T> {
  const views = clusters.map((c) => new ClusterView(c));
  try {
    return await fn(views);
  } finally {
    for (const v of views) v.close();
  }
}
