// Federation v1's replica planner: split a workload's replicas over clusters
// by weight, honouring minReplicas/maxReplicas, known capacity and (when
// rebalance is off) where replicas already run. The sum is always kept when
// the clusters can hold it; what no cluster can hold is reported as overflow.
import { fnv1_32 } from './hashes.js';
import { cmp } from './object-keys.js';
import { ownValue } from './own-value.js';
import type { ClusterReplicaPreference, ReplicaPreferences } from './model.js';

export interface PlanInput {
  total: number;
  preferences: ReplicaPreferences;
  /** Clusters that count: Ready and targeted by the placement, any order. */
  clusters: string[];
  /** cluster -> replicas running there now (used when rebalance is false). */
  current: Record<string, number>;
  /** cluster -> replicas it can hold (known only when Pods stayed unschedulable). */
  capacity: Record<string, number>;
  /** "namespace/name": mixed into the tie-break hash so small workloads spread out. */
  workloadKey: string;
}

export interface PlanOutput {
  plan: Record<string, number>;
  /** cluster -> replicas the weights gave it that its capacity could not hold. */
  overflow: Record<string, number>;
  /** Replicas no cluster could take (all full or capped by maxReplicas). */
  unplaced: number;
}

interface Ranked extends ClusterReplicaPreference {
  cluster: string;
  hash: number;
}

export const DEFAULT_PREFERENCES: ReplicaPreferences = {
  rebalance: false,
  clusters: { '*': { weight: 1, minReplicas: 0, maxReplicas: null } },
};

/** Clusters matched by no key (and no "*") get nothing, as in Federation v1. */
function rank(input: PlanInput): Ranked[] {
  const ranked: Ranked[] = [];
  for (const cluster of input.clusters) {
    const pref = ownValue(input.preferences.clusters, cluster) ?? ownValue(input.preferences.clusters, '*');
    if (!pref) continue;
    // Key first, cluster last: then the order differs from workload to workload.
    ranked.push({ ...pref, weight: finiteWeight(pref.weight), cluster, hash: fnv1_32(input.workloadKey + cluster) });
  }
  // Heavier first; equal weights in hash order so that, across many small
  // workloads, the "extra" replica does not always land on the same cluster.
  return ranked.sort((a, b) => b.weight - a.weight || a.hash - b.hash || cmp(a.cluster, b.cluster));
}

/** Infinity counts as the largest weight and NaN as none: the split below must stay numbers. */
function finiteWeight(w: number): number {
  if (Number.isFinite(w)) return Math.max(0, w);
  return w > 0 ? Number.MAX_VALUE : 0;
}

/**
 * Each open cluster's share of `round`: round * weight / sum, rounded up.
 * Weights so large that the sum or the product overflows (Infinity / Infinity
 * is NaN) are first divided by the largest one; everyday weights keep the
 * exact formula, so their results do not shift by a rounding error.
 */
function weightShares(open: readonly Ranked[], round: number): number[] {
  const sum = open.reduce((s, p) => s + p.weight, 0);
  const max = open.reduce((m, p) => Math.max(m, p.weight), 0);
  if (Number.isFinite(sum) && Number.isFinite(round * max)) return open.map((p) => Math.ceil((round * p.weight) / sum));
  const scaled = open.map((p) => p.weight / max);
  const scaledSum = scaled.reduce((s, w) => s + w, 0);
  return scaled.map((w) => Math.ceil(round * (w / scaledSum)));
}

function cap(pref: Ranked, capacity: Record<string, number>): number {
  let limit = pref.maxReplicas ?? Number.POSITIVE_INFINITY;
  const c = ownValue(capacity, pref.cluster);
  if (c !== undefined) limit = Math.min(limit, c);
  return limit;
}

export function planReplicas(input: PlanInput): PlanOutput {
  const { plan, unplaced } = distribute(input);
  // Overflow = what a full cluster would have had if it had room: those
  // replicas went elsewhere (or nowhere), and status says so.
  const overflow: Record<string, number> = {};
  if (Object.keys(input.capacity).length > 0) {
    const roomy = distribute({ ...input, capacity: {} }).plan;
    for (const c of Object.keys(input.capacity)) {
      const moved = (ownValue(roomy, c) ?? 0) - (ownValue(plan, c) ?? 0);
      if (moved > 0) overflow[c] = moved;
    }
  }
  return { plan, overflow, unplaced };
}

function distribute(input: PlanInput): { plan: Record<string, number>; unplaced: number } {
  const prefs = rank(input);
  const plan: Record<string, number> = {};
  let remaining = Math.max(0, Math.floor(input.total));

  // 1. Everyone gets its minimum (within capacity).
  for (const p of prefs) {
    const give = Math.min(p.minReplicas, remaining, cap({ ...p, maxReplicas: null }, input.capacity));
    plan[p.cluster] = give;
    remaining -= give;
  }

  // 2. Without rebalance, replicas stay where they already run (up to max/capacity).
  if (!input.preferences.rebalance) {
    for (const p of prefs) {
      const planned = plan[p.cluster] ?? 0;
      const running = ownValue(input.current, p.cluster) ?? 0;
      if (running <= planned) continue;
      const extra = Math.max(0, Math.min(Math.min(running, cap(p, input.capacity)) - planned, remaining));
      plan[p.cluster] = planned + extra;
      remaining -= extra;
    }
  }

  // 3. The rest by weight, fractions rounded up, looping while someone can take more.
  let open = prefs.filter((p) => p.weight > 0 && (plan[p.cluster] ?? 0) < cap(p, input.capacity));
  while (remaining > 0 && open.length > 0) {
    const round = remaining;
    const shares = weightShares(open, round);
    const next: Ranked[] = [];
    for (const [i, p] of open.entries()) {
      if (remaining === 0) break;
      const start = plan[p.cluster] ?? 0;
      const share = Math.min(shares[i]!, remaining);
      let total = start + share;
      if (p.maxReplicas !== null && total > p.maxReplicas) total = p.maxReplicas;
      const c = ownValue(input.capacity, p.cluster);
      if (c !== undefined && total > c) total = Math.max(c, start);
      plan[p.cluster] = total;
      remaining -= total - start;
      if (total < cap(p, input.capacity)) next.push(p);
    }
    if (next.length === open.length && remaining === round) break; // no progress possible
    open = next;
  }
  return { plan, unplaced: remaining };
}
