// The Leases behind `gitfed run --shards N`, all in the host namespace:
// - `<lease>-replica-<id>`: each replica holds its own, renewed like the
//   leader Lease. The live replicas are the holders of those Leases that
//   changed within their duration, judged on OUR monotonic clock from when
//   we saw each record change (as LeaderElector does: no clock skew).
// - `<lease>-cluster-<name>`: a replica works on a cluster only while it
//   holds that cluster's Lease. It is acquired when the cluster is assigned
//   to us and free or expired, released when it is no longer ours (so the
//   new owner need not wait for expiry), and its AbortSignal gates the
//   cluster's writes: a replica that cannot renew stops writing at its renew
//   deadline, before the lease expires and another may take the cluster.
import type { KubeHttp } from '../cluster/kube-http.js';
import { LeaderElector } from './leader-election.js';
import type { Logger } from './logger.js';

export interface ShardLeaseOptions {
  http: Pick<KubeHttp, 'request'>;
  namespace: string;
  /** Prefix of every Lease and ConfigMap (--lease-name, default gitfed). */
  prefix: string;
  identity: string;
  durationSeconds: number;
  renewDeadlineMs?: number;
  log: Logger;
  clock?: () => number;
}

interface LeaseItem { metadata: { name: string; resourceVersion?: string }; spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string } }

/** A Lease or ConfigMap name: lower-case DNS label characters, at most 253 characters. */
export function leaseName(prefix: string, kind: 'replica' | 'cluster' | 'shard', id: string): string {
  return `${prefix}-${kind}-${id.toLowerCase().replace(/[^a-z0-9.-]+/g, '-')}`.slice(0, 253).replace(/[^a-z0-9]+$/, '');
}

export class ShardLeases {
  private readonly own: LeaderElector;
  private readonly clusters = new Map<string, LeaderElector>();
  /** Clusters being given up on purpose: their end of holding is a release, not a loss. */
  private readonly releasing = new Set<string>();
  /** Lease name (replicas and clusters) -> its record and when (our clock) it last changed. */
  private readonly seen = new Map<string, { record: string; at: number }>();

  constructor(readonly opts: ShardLeaseOptions) {
    this.own = this.elector(leaseName(opts.prefix, 'replica', opts.identity));
  }

  private elector(name: string): LeaderElector {
    const { http, namespace, identity, durationSeconds, renewDeadlineMs, clock } = this.opts;
    return new LeaderElector({ http, namespace, name, identity, durationSeconds, ...(renewDeadlineMs ? { renewDeadlineMs } : {}), ...(clock ? { clock } : {}) });
  }

  private now(): number {
    return (this.opts.clock ?? (() => performance.now()))();
  }

  /** Announce this replica (and keep renewing). Resolves once the first attempt is done. */
  async start(): Promise<void> {
    this.own.start((held) => { if (!held) this.opts.log.warn('replica lease not renewed', { identity: this.opts.identity }); });
    await this.own.settled();
  }

  /** The identities of the live replicas (this one included while its Lease is renewed). */
  async live(): Promise<string[]> {
    const prefix = `${this.opts.prefix}-replica-`;
    const r = await this.opts.http.request<{ items?: unknown } | undefined>({ path: `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases`, timeoutMs: 5000 });
    if (r.status !== 200) throw new Error(`listing Leases in ${this.opts.namespace}: HTTP ${r.status}`);
    // A 200 that is not a LeaseList (a proxy's page) fails this refresh like an error status would.
    if (!Array.isArray(r.body?.items)) throw new Error(`listing Leases in ${this.opts.namespace}: the answer is not a LeaseList`);
    const now = this.now();
    const out = new Set<string>();
    const names = new Set<string>();
    for (const l of r.body.items as LeaseItem[]) {
      if (typeof l?.metadata?.name !== 'string' || !l.spec || typeof l.spec !== 'object') continue;
      if (!l.metadata.name.startsWith(`${this.opts.prefix}-`)) continue;
      names.add(l.metadata.name);
      // Cluster Leases too: a replica taking a dead one's cluster starts from when we saw that Lease last change.
      const record = JSON.stringify([l.metadata.resourceVersion, l.spec]);
      const prev = this.seen.get(l.metadata.name);
      if (prev?.record !== record) this.seen.set(l.metadata.name, { record, at: now });
      if (!l.metadata.name.startsWith(prefix)) continue;
      const at = this.seen.get(l.metadata.name)!.at;
      const holder = l.spec.holderIdentity;
      if (holder && at + (l.spec.leaseDurationSeconds ?? this.opts.durationSeconds) * 1000 > now) out.add(holder);
    }
    for (const n of [...this.seen.keys()]) if (!names.has(n)) this.seen.delete(n);
    if (this.own.leader) out.add(this.opts.identity);
    return [...out].sort();
  }

  /**
   * Hold the Leases of `assigned` clusters, release the others. Returns the
   * clusters whose Lease we hold now (an assigned cluster whose previous
   * owner has not released it yet is not held until it is released or expires).
   */
  async sync(assigned: ReadonlySet<string>): Promise<Set<string>> {
    const { log } = this.opts;
    for (const [cluster, e] of [...this.clusters]) {
      if (assigned.has(cluster)) continue;
      this.clusters.delete(cluster);
      // Logged (by the callback) when writes stop, before the Lease is handed back.
      this.releasing.add(cluster);
      await e.stop();
      this.releasing.delete(cluster);
    }
    for (const cluster of assigned) {
      if (this.clusters.has(cluster)) continue;
      const name = leaseName(this.opts.prefix, 'cluster', cluster);
      const e = this.elector(name);
      e.seed(this.seen.get(name));
      this.clusters.set(cluster, e);
      e.start((held) => {
        if (held) log.info('cluster acquired', { cluster, at: Date.now() });
        else if (this.releasing.has(cluster)) log.info('cluster released', { cluster, at: Date.now() });
        else log.warn('cluster lease lost', { cluster, at: Date.now() });
      });
      await e.settled();
    }
    return new Set([...this.clusters].filter(([, e]) => e.leader).map(([c]) => c));
  }

  /** Aborted when our Lease of `cluster` is lost (undefined while we do not hold it). */
  signal(cluster: string): AbortSignal | undefined {
    return this.clusters.get(cluster)?.signal;
  }

  /** Release every cluster Lease and our replica Lease (SIGTERM). */
  async stop(): Promise<void> {
    await this.sync(new Set());
    await this.own.stop();
  }
}
