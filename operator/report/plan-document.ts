// The plan of a revision as plain data (plan.json, and what PLAN.md and the
// per-cluster diffs are printed from). Pure: built from a reconcile result
// of a server-side dry run, with secret values replaced by hashes.
import { createHash } from 'node:crypto';
import { formatPath } from '../core/diff.js';
import type { ObjectRef } from '../core/model.js';
import { keyOf } from '../core/object-keys.js';
import type { ObjectResult } from '../cluster/apply.js';
import type { ClusterResult, ReconcileResult } from '../cluster/reconcile-types.js';
import { formatFinding } from '../load/format-finding.js';
import { maskValue } from './secret-values.js';

export type PlanActionKind = 'create' | 'update' | 'adopt' | 'delete' | 'blocked' | 'failed';

export interface PlanFieldChange { path: string; from?: unknown; to?: unknown }

export interface PlanAction {
  action: PlanActionKind;
  ref: ObjectRef;
  changes: PlanFieldChange[];
  /** Server-side apply conflict: fields another manager owns that this apply takes over. */
  conflict?: string;
  message?: string;
  /** Hash of the action and its field changes: equal plans have equal hashes. */
  hash: string;
}

export interface PlanCluster {
  name: string;
  wave: string;
  health: string;
  skipped?: string;
  creates: number;
  updates: number;
  deletes: number;
  blocked: number;
  conflicts: number;
  errors: string[];
  /** Prune refused to delete everything the fleet owns in this cluster (blocked, exit 3). */
  pruneRefused?: string;
  actions: PlanAction[];
}

export interface PlanReplicas { ref: ObjectRef; total: number; before: Record<string, number | null>; after: Record<string, number> }

/** Exit codes of `gitfed plan` (the contract CI jobs read). */
export const PLAN_EXIT = { noChanges: 0, errors: 1, changes: 2, blocked: 3, stale: 4 } as const;

export interface PlanDocument {
  kind: 'GitfedPlan';
  version: 1;
  head: string;
  base?: string;
  branch?: string;
  baseBranch?: string;
  fleet: string;
  /** Planned with --prune (verify plans the same way). */
  prune: boolean;
  clusters: PlanCluster[];
  waves: Array<{ name: string; clusters: string[] }>;
  replicas: PlanReplicas[];
  findings: string[];
  summary: { changes: number; blocked: number; errors: number; conflicts: number };
  exitCode: number;
  /** Hash of everything the clusters would see: what `plan verify` compares. */
  fingerprint: string;
}

export interface PlanMeta {
  head: string; base?: string; branch?: string; baseBranch?: string; fleet: string; prune?: boolean;
  /** The RolloutPolicy's waves (default: one wave, every cluster at once). */
  waves?: Array<{ name: string; clusters: string[] }>;
}

/** Without a RolloutPolicy every cluster is in one wave, changed at once. */
export const ALL_AT_ONCE = 'all';

const sha = (v: unknown, n = 16) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, n);

function action(kind: PlanActionKind, ref: ObjectRef, changes: PlanFieldChange[], extra: { conflict?: string; message?: string } = {}): PlanAction {
  const body = { action: kind, ref: { kind: ref.kind, namespace: ref.namespace ?? null, name: ref.name }, changes, ...extra };
  return { action: kind, ref, changes, ...extra, hash: sha(body) };
}

function objectAction(o: ObjectResult): PlanAction | undefined {
  const changes = (o.diff ?? []).map((d) => ({ path: formatPath(d.path), from: maskValue(o.ref.kind, d.path, d.have), to: maskValue(o.ref.kind, d.path, d.want) }));
  const conflict = o.conflict ? { conflict: o.conflict } : {};
  switch (o.action) {
    case 'created': return action('create', o.ref, [], conflict);
    case 'updated': return action('update', o.ref, changes, conflict);
    case 'adopted': return action('adopt', o.ref, changes, conflict);
    case 'failed': return action('failed', o.ref, changes, { message: o.error ?? 'failed' });
    default: return undefined;
  }
}

function planCluster(c: ClusterResult, wave: string): PlanCluster {
  const actions: PlanAction[] = [];
  for (const o of c.objects) { const a = objectAction(o); if (a) actions.push(a); }
  for (const p of c.pruned) if (p.action !== 'failed') actions.push(action('delete', p.ref, []));
  for (const b of c.blocked) actions.push(action('blocked', b.ref, [], { message: b.finding.message }));
  const count = (k: PlanActionKind) => actions.filter((a) => a.action === k).length;
  return {
    name: c.cluster, wave, health: c.skipped === 'paused' ? 'Paused' : c.health, ...(c.skipped ? { skipped: c.skipped } : {}),
    creates: count('create'), updates: count('update') + count('adopt'), deletes: count('delete'), blocked: count('blocked') + (c.pruneRefused ? 1 : 0),
    conflicts: actions.filter((a) => a.conflict).length,
    errors: c.errors.filter((e) => e !== c.pruneRefused), ...(c.pruneRefused ? { pruneRefused: c.pruneRefused } : {}), actions,
  };
}

/** Replicas per cluster before (live, from the dry run's diff) and after the plan. */
function replicaSplit(result: ReconcileResult): PlanReplicas[] {
  return result.replicas.map((d) => {
    const before: Record<string, number | null> = {};
    for (const cluster of Object.keys(d.plan)) {
      const c = result.clusters.find((x) => x.cluster === cluster);
      const o = c?.objects.find((x) => keyOf(x.ref) === keyOf(d.ref));
      const replicasDiff = o?.diff?.find((f) => formatPath(f.path) === 'spec.replicas');
      if (!c || c.skipped === 'unreachable' || !o) before[cluster] = null;
      else if (o.action === 'created') before[cluster] = 0;
      else if (replicasDiff) before[cluster] = typeof replicasDiff.have === 'number' ? replicasDiff.have : Number(replicasDiff.have ?? 0);
      else before[cluster] = d.plan[cluster] ?? 0;
    }
    return { ref: d.ref, total: d.total, before, after: { ...d.plan } };
  });
}

export function planExitCode(p: Pick<PlanDocument, 'summary'>): number {
  if (p.summary.errors > 0) return PLAN_EXIT.errors;
  if (p.summary.blocked > 0) return PLAN_EXIT.blocked;
  return p.summary.changes > 0 ? PLAN_EXIT.changes : PLAN_EXIT.noChanges;
}

export function buildPlan(result: ReconcileResult, meta: PlanMeta): PlanDocument {
  const waves = meta.waves ?? [{ name: ALL_AT_ONCE, clusters: result.clusters.map((c) => c.cluster) }];
  const waveOf = (cluster: string) => waves.find((w) => w.clusters.includes(cluster))?.name ?? ALL_AT_ONCE;
  const clusters = result.clusters.map((c) => planCluster(c, waveOf(c.cluster))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const findings = result.findings.filter((f) => f.severity !== 'info').map(formatFinding);
  // A finding that blocks an object (e.g. an unsafe GLBC uid change) counts as blocked, not as an error.
  const blocking = new Set(result.clusters.flatMap((c) => c.blocked.map((b) => `${b.finding.code}\0${b.finding.message}`)));
  const fleetErrors = result.renderFailed || result.findings.some((f) => f.severity === 'error' && !blocking.has(`${f.code}\0${f.message}`));
  const errors = (fleetErrors ? 1 : 0) + clusters.reduce((n, c) => n + c.errors.length + c.actions.filter((a) => a.action === 'failed').length, 0);
  // An unreachable cluster blocks the plan: nobody can say what it would change.
  const blocked = clusters.reduce((n, c) => n + c.blocked + (c.skipped === 'unreachable' ? 1 : 0), 0);
  const changes = clusters.reduce((n, c) => n + c.creates + c.updates + c.deletes, 0);
  const conflicts = clusters.reduce((n, c) => n + c.conflicts, 0);
  const summary = { changes, blocked, errors, conflicts };
  const replicas = replicaSplit(result);
  // What the clusters would see, independent of which commit asked: a plan
  // whose fingerprint still matches is current even if re-run later.
  const fingerprint = sha({ clusters: clusters.map((c) => ({ n: c.name, h: c.health, s: c.skipped ?? null, e: c.errors, p: c.pruneRefused ?? null, a: c.actions.map((a) => a.hash) })), replicas, findings }, 32);
  const doc: PlanDocument = {
    kind: 'GitfedPlan', version: 1, head: meta.head, ...(meta.base ? { base: meta.base } : {}), ...(meta.branch ? { branch: meta.branch } : {}),
    ...(meta.baseBranch ? { baseBranch: meta.baseBranch } : {}), fleet: meta.fleet, prune: !!meta.prune,
    clusters, waves, replicas, findings, summary, exitCode: 0, fingerprint,
  };
  doc.exitCode = planExitCode(doc);
  return doc;
}

/** One line for a git note or a CI log: "3 clusters: 5 change(s), 0 blocked, 0 error(s)". */
export function planSummaryLine(p: PlanDocument): string {
  const s = p.summary;
  return `gitfed plan ${p.head.slice(0, 7)}: ${p.clusters.length} cluster(s), ${s.changes} change(s), ${s.blocked} blocked, ${s.conflicts} conflict(s), ${s.errors} error(s)`;
}

