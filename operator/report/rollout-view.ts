// How a rollout reads in the status branch: a table in README.md (wave,
// clusters, state, since, reason), one line for commit messages and notes,
// and the exit code of `gitfed rollout status`. Pure.
import { shortRev } from '../core/short-rev.js';
import type { RolloutIndex, RolloutRecord } from '../core/rollout-model.js';
import { mdCell } from './markdown.js';

const short = (rev?: string) => shortRev(rev);
const when = (ms?: number) => (ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

/** `gitfed rollout status` exit codes: 0 done, 10 running, 11 paused or waiting for approval, 12 reverted, 13 failed. */
export function rolloutExitCode(r: RolloutRecord | undefined): number {
  switch (r?.verdict) {
    case undefined: case 'done': return 0;
    case 'running': return 10;
    case 'paused': case 'waiting-approval': return 11;
    case 'reverted': case 'aborted': return 12;
    case 'superseded': return 10;
    default: return 13;
  }
}

/** "1a2b3c4 running: wave canary baking (1/3 clusters at 1a2b3c4)". */
export function rolloutLine(r: RolloutRecord): string {
  const total = r.waves.reduce((n, w) => n + w.clusters.length, 0);
  const at = r.verdict === 'done' ? total : r.verdict === 'reverted' || r.verdict === 'aborted' ? 0 : r.waves.reduce((n, w) => n + (w.state === 'passed' ? w.clusters.length : w.changed.length), 0);
  const active = r.waves.find((w) => w.state !== 'passed');
  const where = r.verdict === 'done' ? 'every wave passed' : active ? `wave ${active.name} ${active.state}` : '';
  return `${short(r.revision)} ${r.verdict}: ${where} (${at}/${total} clusters at ${short(r.revision)})${r.reason ? `: ${r.reason}` : ''}`;
}

export function rolloutSection(index: RolloutIndex | undefined): string[] {
  const r = index?.current;
  if (!index || !r) return [];
  const lines = ['', '## Rollout', '', `Revision \`${short(r.revision)}\`: **${r.verdict}**${r.reason ? ` (${mdCell(r.reason)})` : ''}; stable revision \`${short(index.stable ?? r.stable)}\`.`, ''];
  lines.push('| wave | clusters | state | since | reason |', '|---|---|---|---|---|');
  for (const w of r.waves) {
    const clusters = w.clusters.map((c) => (w.state === 'passed' || w.changed.includes(c) ? `${c} (at ${short(r.revision)})` : c)).join(', ');
    lines.push(`| ${mdCell(w.name)} | ${mdCell(clusters) || '-'} | ${w.state} | ${when(w.since)} | ${mdCell(w.reason ?? '')} |`);
  }
  if (index.quarantined.length) {
    lines.push('', 'Quarantined revisions (never applied again on their own; a commit that changes what they render starts a new rollout):', '');
    for (const q of index.quarantined.slice(0, 5)) lines.push(`- \`${short(q.revision)}\`: ${mdCell(q.reason)}`);
  }
  return lines;
}
