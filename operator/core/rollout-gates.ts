// Rollout gates of one cluster, from what this tick observed. Pure. A gate
// only speaks for the TARGET revision: a cluster is "at target" when no
// object needed writing this tick (everything live matches what the target
// renders) and every workload observed its newest generation; only then do
// ready replicas, endpoints and backend health count.
import type { ClusterResult, IngressStatus } from '../cluster/reconcile-types.js';
import type { ClusterGates, ReportedGates, RolloutGates } from './rollout-model.js';

const name = (r: { namespace?: string; name: string }) => `${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

export function clusterGates(c: ClusterResult, ingresses: readonly IngressStatus[], gates: RolloutGates, prometheus?: { value?: number; error?: string }, prometheusMax?: number): ClusterGates {
  const ready = c.health === 'Ready' && c.skipped !== 'unreachable';
  const pending = c.objects.filter((o) => o.action !== 'unchanged');
  const workloads = c.workloads ?? [];
  const stale = workloads.filter((w) => !w.exists || w.observedGeneration < w.generation);
  const atTarget = ready && !c.skipped && pending.length === 0 && c.blocked.length === 0 && c.errors.length === 0 && stale.length === 0;
  const failing: string[] = [];
  if (!atTarget) return { atTarget, ready, failing };
  if (gates.readyReplicas) {
    for (const w of workloads) {
      // updated == ready == desired, and no Pod of an older template left.
      if (w.updated !== w.desired || w.ready !== w.desired || w.total !== w.desired) {
        failing.push(`readyReplicas ${name(w.ref)}: ${w.ready}/${w.desired} ready, ${w.updated}/${w.desired} updated${w.total > w.desired ? `, ${w.total - w.updated} old` : ''}`);
      }
    }
  }
  const shards = ingresses.flatMap((i) => i.shards.filter((s) => s.cluster === c.cluster).map((s) => ({ ingress: i, shard: s })));
  // A cluster whose replica share is 0 has no endpoints by design (e.g. rebalance: false kept them elsewhere).
  const serving = workloads.length === 0 || workloads.some((w) => w.desired > 0);
  if (gates.readyEndpoints && serving) {
    for (const [svc, e] of Object.entries(c.endpoints)) {
      if (e.ready === 0) failing.push(`readyEndpoints ${svc}: ${e.ready}/${e.total} ready`);
    }
  }
  if (gates.backendHealth) {
    for (const { ingress, shard } of shards) {
      const states = Object.entries(shard.backends);
      if (!states.length) failing.push(`backendHealth ${name(ingress.ref)}: no backend health reported yet`);
      for (const [backend, state] of states) if (state !== 'HEALTHY') failing.push(`backendHealth ${name(ingress.ref)}: ${backend} is ${state}`);
    }
  }
  failing.push(...prometheusFailing(gates, prometheus, prometheusMax));
  return { atTarget, ready, failing };
}

/** The Prometheus gate alone (also added by the sharded leader to gates another replica judged). */
export function prometheusFailing(gates: RolloutGates, prometheus?: { value?: number; error?: string }, prometheusMax?: number): string[] {
  if (!gates.prometheus) return [];
  if (!prometheus || prometheus.error) return [`prometheus: ${prometheus?.error ?? 'not queried'}`];
  if (prometheus.value === undefined || Number.isNaN(prometheus.value)) return ['prometheus: the query returned no value'];
  const max = prometheusMax ?? gates.prometheus.max;
  return prometheus.value > max ? [`prometheus: ${prometheus.value} > max ${max}`] : [];
}

/**
 * The gates a cluster's result speaks for (run --shards): the replica that
 * owns the cluster judges them from its own pass and publishes them with the
 * revision the cluster's objects are at; the leader adds Prometheus, which it
 * queries itself. Gates judged at another revision say "not at target".
 */
export function reportedGates(reported: ReportedGates, target: string, gates: RolloutGates, prometheus?: { value?: number; error?: string }): ClusterGates {
  if (reported.revision !== target) return { atTarget: false, ready: reported.gates.ready, failing: [] };
  if (!reported.gates.atTarget) return reported.gates;
  return { ...reported.gates, failing: [...reported.gates.failing, ...prometheusFailing(gates, prometheus)] };
}
