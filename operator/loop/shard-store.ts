// The ConfigMaps through which shards and the leader talk, in the host
// namespace (Kubernetes is the only coordinator):
// - `<prefix>-shard-<id>`: one per replica, its ShardReport (the observation
//   digest and results of the clusters it works on), rewritten each tick.
// - `<prefix>-allocations`: written by the leader only: the node ports and
//   GLBC uids it decided for a revision, and with a RolloutPolicy the
//   clusters the rollout reached and the stable revision. Other shards apply
//   a revision only once this names it, so every cluster gets the same
//   allocations and waves are stepped by one writer.
// Both carry the label gitfed.io/shards=<prefix>, so one LIST finds them.
import type { KubeHttp } from '../cluster/kube-http.js';
import type { Allocations } from '../core/model.js';
import { serializeReport, type ShardReport } from '../core/shard-report.js';
import { leaseName } from './shard-leases.js';

const LABEL = 'gitfed.io/shards';

export interface PublishedAllocations {
  revision: string;
  allocations: Allocations;
  /** With a RolloutPolicy: the clusters the rollout reached (they get `revision`) and the stable revision the others keep. */
  rollout?: PublishedRollout;
}

export interface PublishedRollout {
  targets: string[];
  stable?: string;
}

interface ConfigMap { metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> }; data?: Record<string, string> }

export class ShardStore {
  constructor(private readonly http: Pick<KubeHttp, 'request'>, private readonly namespace: string, private readonly prefix: string) {}

  private get path() {
    return `/api/v1/namespaces/${this.namespace}/configmaps`;
  }

  /** Create or replace (last writer wins: each ConfigMap has exactly one writer). */
  private async put(name: string, data: Record<string, string>): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: this.namespace, labels: { [LABEL]: this.prefix } }, data };
    const u = await this.http.request({ method: 'PUT', path: `${this.path}/${name}`, body, timeoutMs: 5000 });
    if (u.status === 200) return;
    if (u.status === 404) {
      const c = await this.http.request({ method: 'POST', path: this.path, body, timeoutMs: 5000 });
      if (c.status === 201 || c.status === 409) return;
      throw new Error(`ConfigMap ${this.namespace}/${name}: create: HTTP ${c.status}`);
    }
    throw new Error(`ConfigMap ${this.namespace}/${name}: replace: HTTP ${u.status}`);
  }

  async writeReport(report: ShardReport): Promise<void> {
    await this.put(leaseName(this.prefix, 'shard', report.replica), { 'report.json': serializeReport(report) });
  }

  /** Every replica's last report (also of replicas that died: their clusters' digests stay until the new owner reports them). */
  async reports(): Promise<ShardReport[]> {
    const r = await this.http.request<{ items: ConfigMap[] }>({ path: `${this.path}?labelSelector=${encodeURIComponent(`${LABEL}=${this.prefix}`)}`, timeoutMs: 5000 });
    if (r.status !== 200) throw new Error(`listing ConfigMaps in ${this.namespace}: HTTP ${r.status}`);
    const out: ShardReport[] = [];
    for (const cm of r.body.items ?? []) {
      const text = cm.data?.['report.json'];
      if (!text) continue;
      try { out.push(JSON.parse(text) as ShardReport); } catch { /* a hand-edited ConfigMap: ignored, its replica rewrites it */ }
    }
    // Newest first: for a cluster no live owner reported, the latest word wins.
    return out.sort((a, b) => b.at.localeCompare(a.at));
  }

  async publishAllocations(p: PublishedAllocations): Promise<void> {
    await this.put(`${this.prefix}-allocations`, { revision: p.revision, 'allocations.json': JSON.stringify(p.allocations), ...(p.rollout ? { 'rollout.json': JSON.stringify(p.rollout) } : {}) });
  }

  async allocations(): Promise<PublishedAllocations | undefined> {
    const r = await this.http.request<ConfigMap>({ path: `${this.path}/${this.prefix}-allocations`, timeoutMs: 5000 });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`ConfigMap ${this.namespace}/${this.prefix}-allocations: HTTP ${r.status}`);
    const d = r.body.data ?? {};
    if (!d.revision || !d['allocations.json']) return undefined;
    return { revision: d.revision, allocations: JSON.parse(d['allocations.json']) as Allocations, ...(d['rollout.json'] ? { rollout: JSON.parse(d['rollout.json']) as PublishedRollout } : {}) };
  }
}
