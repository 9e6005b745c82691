// PLAN.md: what a reviewer reads in a pull request, laid out like an
// Atlantis plan comment (header, one table row per cluster, the replica
// split, one collapsible diff per cluster, what to do next). Pure.
import { shortRev as short } from '../core/short-rev.js';
import { mdCell, mdCode, mdFence } from './markdown.js';
import { clusterDiff, refText } from './plan-text.js';
import type { PlanDocument } from './plan-document.js';


const VERDICT: Record<number, string> = {
  0: 'no changes', 1: 'errors: nothing can be applied as is', 2: 'changes', 3: 'blocked by a safety policy', 4: 'stale',
};

export function planMarkdown(p: PlanDocument, next?: string): string {
  const L: string[] = [];
  const head = p.branch ? `${mdCode(p.branch)} @ \`${short(p.head)}\`` : `\`${short(p.head)}\``;
  L.push(`## gitfed plan for ${head}`, '');
  L.push(`- Base: ${p.base ? `${p.baseBranch ? `${mdCode(p.baseBranch)} @ ` : ''}\`${short(p.base)}\`` : '-'}`);
  L.push(`- Fleet: ${mdCode(p.fleet)}, ${p.clusters.length} cluster(s)`);
  L.push(`- Result: **${p.summary.changes} change(s)**, ${p.summary.blocked} blocked, ${p.summary.conflicts} conflict(s), ${p.summary.errors} error(s): ${VERDICT[p.exitCode] ?? ''} (exit ${p.exitCode})`, '');
  if (p.findings.length) {
    L.push('### Findings', '');
    for (const f of p.findings) L.push(`- ${mdCode(f)}`);
    L.push('');
  }
  L.push('| Cluster | Wave | Health | Creates | Updates | Deletes | Blocked | Conflicts |', '|---|---|---|---|---|---|---|---|');
  for (const c of p.clusters) {
    const health = c.skipped ? `${c.health} (skipped: ${c.skipped})` : c.health;
    L.push(`| ${mdCell(c.name)} | ${mdCell(c.wave)} | ${mdCell(health)} | ${c.creates} | ${c.updates} | ${c.deletes} | ${c.blocked} | ${c.conflicts} |`);
  }
  if (p.replicas.length) {
    L.push('', '### Replicas (before -> after)', '');
    const names = p.clusters.map((c) => c.name);
    L.push(`| Workload | ${names.map(mdCell).join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`);
    for (const r of p.replicas) {
      const cells = names.map((n) => {
        if (!(n in r.after)) return '-';
        const b = r.before[n];
        return b === r.after[n] ? String(r.after[n]) : `${b === null || b === undefined ? '?' : b} -> ${r.after[n]}`;
      });
      L.push(`| ${mdCell(refText(r.ref))} (${r.total}) | ${cells.join(' | ')} |`);
    }
  }
  L.push('', '### Changes per cluster', '');
  for (const c of p.clusters) {
    const counts = [`${c.creates} create`, `${c.updates} update`, `${c.deletes} delete`, `${c.blocked} blocked`, `${c.conflicts} conflict`].join(', ');
    L.push(`<details><summary>${mdCell(c.name)}: ${counts}</summary>`, '', mdFence('diff', clusterDiff(c)), '', '</details>', '');
  }
  L.push('---', '');
  L.push('Every change was validated by its cluster\'s apiserver with a server-side dry run. Secret values are shown as sha256 hashes, never in clear.');
  if (next) L.push('', next);
  L.push('');
  return L.join('\n');
}
