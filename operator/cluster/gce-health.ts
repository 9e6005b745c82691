// Per federated Ingress and cluster: what Compute Engine's
// backendServices.getHealth says of that cluster's instance group, next to
// the ready endpoints, with the reason when it is not HEALTHY. This is the
// answer to "uneven load": which cluster Google sends no traffic to, and why.
import type { ClusterSpec } from '../core/model.js';
import type { GceEdge, IngressShard, IngressStatus, ShardGceHealth } from './reconcile-types.js';

type Groups = Awaited<ReturnType<GceEdge['backendHealth']>>;

const RANK: Record<ShardGceHealth['state'], number> = { HEALTHY: 0, UNKNOWN: 1, UNHEALTHY: 2, MISSING: 3, ERROR: 4 };

/** k8s-be-<nodePort>--<uid> -> its parts (GLBC's legacy names). */
function parseBackend(name: string): { port: string; uid: string } | undefined {
  const m = /^k8s-be-(\d+)--(.+)$/.exec(name);
  return m ? { port: m[1]!, uid: m[2]! } : undefined;
}

/** Why a cluster's group is missing from a backend service the others share. */
function missingReason(shard: IngressShard, backendService: string): string {
  const own = Object.keys(shard.backends);
  if (own.length === 0) return 'GLBC in this cluster has not reported a backend yet';
  const want = parseBackend(backendService);
  const mine = own.map(parseBackend).filter((x) => !!x);
  if (want && mine.some((m) => m.uid !== want.uid)) return `different uid: this cluster's GLBC builds ${own.join(', ')} (another kube-system/ingress-uid), not ${backendService}`;
  if (want && mine.some((m) => m.port !== want.port)) return `different node port: this cluster's Service has node port ${mine.map((m) => m.port).join(', ')}, not ${want.port}`;
  return `this cluster's instance group is not a backend of ${backendService}`;
}

function unhealthyReason(shard: IngressShard, unreachable: boolean): string {
  // Its endpoint counts are the last ones seen: a cluster that does not answer cannot say it lost them.
  if (unreachable) return 'the cluster is not Ready (its apiserver does not answer): its nodes are likely down or paused, so the load balancer\'s probes fail';
  if (shard.readyEndpoints === 0) return 'no ready endpoints in this cluster';
  return 'endpoints are ready but the load balancer\'s probes fail: firewall missing (a rule admitting 130.211.0.0/22 and 35.191.0.0/16 to the node port; see gitfed doctor) or a failing readiness path';
}

function shardHealth(shard: IngressShard, zone: string | undefined, backendService: string, groups: Groups | Error, unreachable = false): ShardGceHealth {
  const base = { backendService, healthy: 0, total: 0 };
  if (groups instanceof Error) return { ...base, state: 'ERROR', reason: groups.message };
  if (!groups) return { ...base, state: 'MISSING', reason: `backend service ${backendService} does not exist` };
  const g = groups.find((x) => x.zone && x.zone === zone);
  if (!zone) return { ...base, state: 'UNKNOWN', reason: 'the Cluster has no spec.gce.zone to find its instance group by' };
  if (!g) return { ...base, state: 'MISSING', reason: missingReason(shard, backendService) };
  const h = { ...base, state: g.state, healthy: g.healthy, total: g.total };
  if (g.state === 'UNHEALTHY') return { ...h, reason: unhealthyReason(shard, unreachable) };
  if (g.state === 'UNKNOWN') return { ...h, reason: 'the instance group has no instances' };
  return h;
}

/** What one getHealth said: the groups, or that the backend service does not exist, or the error. */
export interface FetchedBackendHealth {
  project: string;
  backendService: string;
  groups?: NonNullable<Groups>;
  missing?: true;
  error?: string;
}

/**
 * Sets `gce` on every shard; GCE errors become an ERROR state, never an
 * exception. Returns every answer, so status derives its per-backend-service
 * line from the same calls (one getHealth per backend service, not two).
 */
export async function addGceHealth(edge: GceEdge, ingresses: IngressStatus[], clusters: readonly ClusterSpec[], notReady: ReadonlySet<string> = new Set()): Promise<FetchedBackendHealth[]> {
  const spec = new Map(clusters.map((c) => [c.name, c]));
  const cache = new Map<string, Promise<Groups | Error>>();
  const health = (project: string, bs: string) => {
    const id = `${project}/${bs}`;
    if (!cache.has(id)) cache.set(id, edge.backendHealth(project, bs).catch((e: unknown) => e instanceof Error ? e : new Error(String(e))));
    return cache.get(id)!;
  };
  // Every getHealth starts at once: a slow Compute Engine costs one timeout, not one per backend service.
  for (const i of ingresses) for (const s of i.shards) for (const b of Object.keys(s.backends)) { const p = spec.get(s.cluster)?.gce?.project; if (p) void health(p, b); }
  for (const i of ingresses) {
    // The backend services the clusters' GLBCs report; a cluster that reports another one (uid, node port) is MISSING from the shared one.
    const counts = new Map<string, number>();
    for (const s of i.shards) for (const b of Object.keys(s.backends)) counts.set(b, (counts.get(b) ?? 0) + 1);
    const most = Math.max(0, ...counts.values());
    const shared = [...counts.keys()].filter((b) => counts.get(b) === most).sort();
    if (shared.length === 0) continue;
    for (const s of i.shards) {
      const c = spec.get(s.cluster);
      if (c?.provider !== 'gce') continue; // no GLBC there, no instance group
      const project = c?.gce?.project;
      let worst: ShardGceHealth | undefined;
      for (const bs of shared) {
        const h: ShardGceHealth = project ? shardHealth(s, c?.gce?.zone, bs, await health(project, bs), notReady.has(s.cluster)) : { backendService: bs, state: 'UNKNOWN', healthy: 0, total: 0, reason: 'the Cluster has no spec.gce.project' };
        if (!worst || RANK[h.state] > RANK[worst.state]) worst = h;
      }
      if (worst) s.gce = worst;
    }
  }
  const out: FetchedBackendHealth[] = [];
  for (const [id, p] of cache) {
    const g = await p;
    const [project, backendService] = [id.slice(0, id.indexOf('/')), id.slice(id.indexOf('/') + 1)];
    out.push({ project, backendService, ...(g instanceof Error ? { error: g.message } : g ? { groups: g } : { missing: true as const }) });
  }
  return out;
}
