// Text views of a plan: the terminal output of `gitfed plan`, the
// per-cluster `clusters/<name>.diff` files and PLAN.md's diff blocks all use
// these lines, so a reviewer reads the same thing everywhere.
import type { ObjectRef } from '../core/model.js';
import type { PlanAction, PlanCluster, PlanDocument, PlanReplicas } from './plan-document.js';

export const refText = (ref: ObjectRef) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

/** `diff` style: "+"/"-" lines for what appears and goes, so hosting UIs colour them. */
export function actionLines(a: PlanAction): string[] {
  const name = refText(a.ref);
  const out: string[] = [];
  switch (a.action) {
    case 'create': out.push(`+ create ${name}`); break;
    case 'delete': out.push(`- delete ${name}`); break;
    case 'blocked': out.push(`! blocked ${name}: ${a.message ?? ''}`); break;
    case 'failed': out.push(`! failed ${name}: ${a.message ?? ''}`); break;
    default: {
      out.push(`~ ${a.action} ${name}`);
      for (const c of a.changes) {
        if (c.from !== undefined) out.push(`-     ${c.path}: ${show(c.from)}`);
        if (c.to !== undefined) out.push(`+     ${c.path}: ${show(c.to)}`);
      }
    }
  }
  if (a.conflict) out.push(`! conflict ${name}: ${a.conflict}`);
  return out;
}

export function clusterHeader(c: PlanCluster): string {
  return `cluster ${c.name} (${c.skipped ? `${c.health}, skipped: ${c.skipped}` : c.health}), wave ${c.wave}`;
}

/** The body of clusters/<name>.diff. */
export function clusterDiff(c: PlanCluster): string {
  const lines = [`# ${clusterHeader(c)}`];
  for (const a of c.actions) lines.push(...actionLines(a));
  if (c.pruneRefused) lines.push(`! prune refused: ${c.pruneRefused}`);
  for (const e of c.errors) lines.push(`! error: ${e}`);
  if (lines.length === 1) lines.push('# no changes');
  return lines.join('\n') + '\n';
}

export function replicaText(r: PlanReplicas): string {
  const parts = Object.keys(r.after).map((c) => {
    const b = r.before[c];
    const a = r.after[c];
    return b === a ? `${c}=${a}` : `${c}=${b === null || b === undefined ? '?' : b}->${a}`;
  });
  return `replicas ${r.ref.namespace}/${r.ref.name} (${r.total}): ${parts.join(' ')}`;
}

/** What `gitfed plan` prints on a terminal. */
export function planText(p: PlanDocument): string[] {
  const out: string[] = [];
  for (const c of p.clusters) {
    out.push(clusterHeader(c));
    for (const a of c.actions) out.push(...actionLines(a).map((l) => `  ${l}`));
    if (c.pruneRefused) out.push(`  ! prune refused: ${c.pruneRefused}`);
    for (const e of c.errors) out.push(`  ! error: ${e}`);
  }
  for (const r of p.replicas) out.push(replicaText(r));
  out.push(p.summary.changes === 0 ? 'no changes' : `${p.summary.changes} change(s)`);
  if (p.summary.blocked) out.push(`${p.summary.blocked} blocked (exit 3)`);
  return out;
}
