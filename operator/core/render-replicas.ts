// Replica decisions for every federated workload: which clusters count
// (Ready, targeted, not paused), what they run now, what they can hold, and
// the planner's split. Also says, once per cluster, why replicas moved.
import type { FleetIndex } from './fleet-index.js';
import type { Finding, Observations, ReplicaDecision } from './model.js';
import { describeRef, effectiveNamespace, refOf } from './object-keys.js';
import { ownValue } from './own-value.js';
import { planReplicas } from './replica-planner.js';

export interface WorkloadPlans {
  decisions: ReplicaDecision[];
  byKey: Map<string, ReplicaDecision>;
  findings: Finding[];
}

function specReplicas(spec: unknown): number {
  const r = (spec as { replicas?: unknown } | undefined)?.replicas;
  return typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : 1;
}

export function planWorkloads(index: FleetIndex, observations: Observations): WorkloadPlans {
  const decisions: ReplicaDecision[] = [];
  const byKey = new Map<string, ReplicaDecision>();
  const findings: Finding[] = [];
  const relocatedFrom = new Set<string>();

  for (const m of index.manifests) {
    if (!m.preferences) continue;
    const obj = m.source.object;
    const ns = effectiveNamespace(obj)!;
    const counted: string[] = [];
    const current: Record<string, number> = {};
    const capacity: Record<string, number> = {};
    for (const c of m.clusters) {
      if (c.paused) continue;
      const o = ownValue(observations, c.name);
      if (o && o.health !== 'Ready') {
        relocatedFrom.add(c.name);
        continue;
      }
      counted.push(c.name);
      const w = o?.workloads.find((x) => x.kind === obj.kind && x.namespace === ns && x.name === obj.metadata.name);
      if (!w) continue;
      current[c.name] = w.replicas;
      // Pods stuck unschedulable mean the cluster holds what already runs, no more.
      if (w.unschedulable && w.unschedulable > 0) capacity[c.name] = Math.max(0, w.replicas - w.unschedulable);
    }
    const total = specReplicas(obj.spec);
    const ref = refOf(obj);
    // Where replicas run (and what a cluster can hold) is half the plan: a
    // cluster whose workloads could not be listed would count as running
    // none, and the plan would move replicas on a guess. Nothing of this
    // workload is written anywhere until every counted cluster answers.
    const unknown = counted.find((c) => ownValue(observations, c)?.failed?.workloads !== undefined);
    const blocked: Finding | undefined = unknown ? {
      severity: 'error', code: 'ObservationFailed', cluster: unknown, object: ref, place: m.source.place,
      message: `cluster ${unknown}: could not observe workloads: ${ownValue(observations, unknown)!.failed!.workloads}; where the replicas of ${describeRef(ref)} run is unknown, so gitfed writes it in no cluster until it can (a plan from a partial observation would move replicas)`,
    } : undefined;
    const out = blocked ? { plan: current, overflow: {}, unplaced: 0 } : planReplicas({ total, preferences: m.preferences, clusters: counted, current, capacity, workloadKey: `${ns}/${obj.metadata.name}` });
    const decision: ReplicaDecision = { ref, total, plan: out.plan, overflow: out.overflow, ...(blocked ? { blocked } : {}) };
    decisions.push(decision);
    byKey.set(m.key, decision);
    if (blocked) findings.push(blocked);
    for (const [cluster, n] of Object.entries(out.overflow)) {
      findings.push({
        severity: 'info', code: 'ReplicasOverflow', cluster, object: ref, place: m.source.place,
        message: `${describeRef(ref)}: cluster ${cluster} is full (Pods stay unschedulable); ${n} replica(s) go to other clusters`,
      });
    }
    if (out.unplaced > 0) {
      findings.push({
        severity: 'warning', code: 'ReplicasUnplaced', object: ref, place: m.source.place,
        message: `${describeRef(ref)}: ${out.unplaced} of ${total} replicas fit in no cluster (all full, capped by maxReplicas, or none Ready)`,
      });
    }
  }
  for (const cluster of [...relocatedFrom].sort()) {
    findings.push({
      severity: 'warning', code: 'ReplicasRelocated', cluster,
      message: `cluster ${cluster} is ${ownValue(observations, cluster)?.health}: it drops out of the replica plan and its share goes to the other clusters; its own objects are left as they are`,
    });
  }
  return { decisions, byKey, findings };
}
