// README.md of the status branch: what a Git web UI shows first. Everything
// that comes from users or clusters is escaped (see markdown.ts).
import type { StatusInput } from './status-tree.js';
import { appliedCount, short } from './status-tree.js';
import { formatFinding } from '../load/format-finding.js';
import { rolloutSection } from './rollout-view.js';
import { mdCode, mdText } from './markdown.js';
import { gceText, staticIpText } from './gce-text.js';
import { FLEET_SVG } from './fleet-svg.js';
import { describeCloudResource } from '../core/gce-orphans.js';

export function renderReadme(s: StatusInput): string {
  const r = s.result;
  const lines: string[] = ['# gitfed fleet status', ''];
  const errors = s.findings.filter((f) => f.severity === 'error');
  lines.push(`Source: ${mdCode(s.repo)} branch ${mdCode(s.branch)} at \`${short(s.revision)}\``);
  // The picture (fleet.svg, next to this file): Git web UIs render a relative image.
  if (r) lines.push('', `![The fleet: the load balancer and one box per cluster](${FLEET_SVG})`);
  if (errors.length && s.appliedRevision !== s.revision) {
    lines.push('', `**Revision \`${short(s.revision)}\` was NOT applied** (it has errors); ${s.appliedRevision ? `\`${short(s.appliedRevision)}\` stays applied.` : 'nothing is applied yet.'}`, '');
    for (const f of errors) lines.push(`- ${mdCode(formatFinding(f))}`);
  }
  const { ok, total } = appliedCount(r);
  lines.push('', `Applied revision: \`${short(s.appliedRevision)}\` (${ok}/${total} clusters in sync)`, '', '## Clusters', '');
  lines.push('| cluster | health | in sync | drifted | missing | failed | blocked |', '|---|---|---|---|---|---|---|');
  for (const c of r?.clusters ?? []) {
    const health = c.skipped === 'paused' ? 'Paused' : c.health;
    lines.push(`| ${mdText(c.cluster)} | ${mdText(health)} | ${c.counts.inSync + c.counts.changed} | ${c.counts.drifted} | ${c.counts.missing} | ${c.counts.failed} | ${c.blocked.length} |`);
  }
  if (r?.replicas.length) {
    lines.push('', '## Replicas', '');
    for (const d of r.replicas) {
      lines.push(`- ${mdCode(`${d.ref.namespace}/${d.ref.name}`)} (${d.total}): ${mdText(Object.entries(d.plan).map(([c, n]) => `${c}=${n}${d.overflow[c] ? ` (full, ${d.overflow[c]} moved)` : ''}`).join(', '))}${d.blocked ? mdText(` (held as it runs: the workloads of ${d.blocked.cluster} were not observed)`) : ''}`);
    }
  }
  for (const i of r?.ingresses ?? []) {
    lines.push('', `## Ingress ${mdText(`${i.ref.namespace}/${i.ref.name}`)}`, '');
    lines.push(`- Address: ${i.addresses.map((a) => mdCode(a)).join(', ') || '(none yet)'}`);
    if (i.staticIp) lines.push(`- Static IP name: ${mdCode(i.staticIp)}${i.staticIps?.length ? ` ${mdText(i.staticIps.map((x) => `${x.project ? `${x.project}: ` : ''}${staticIpText(x)}`).join(', '))}` : ''}`);
    const backends = [...new Set(i.shards.flatMap((x) => Object.keys(x.backends)))];
    lines.push(`- Backends: ${backends.map((b) => mdCode(b)).join(', ') || '(none reported yet)'}`, '');
    const gce = i.shards.some((x) => x.gce);
    lines.push(`| cluster | ip | backend health | ready endpoints |${gce ? ' GCE backend health |' : ''}`, `|---|---|---|---|${gce ? '---|' : ''}`);
    for (const x of i.shards) lines.push(`| ${mdText(x.cluster)} | ${mdText(x.ips.join(', ')) || '-'} | ${mdText(Object.values(x.backends).join(', ')) || 'Unknown'} | ${x.readyEndpoints}/${x.totalEndpoints} |${gce ? ` ${x.gce ? mdText(gceText(x.gce)) : '-'} |` : ''}`);
  }
  if (s.gce) {
    lines.push('', '## Compute Engine', '');
    for (const p of s.gce) {
      if (p.error) lines.push(`- project ${mdCode(p.project)}: error: ${mdText(p.error)}`);
      for (const f of p.firewall) lines.push(`- ${f.verdict} firewall: ${mdText(f.message)}`);
      if (p.orphans.unknown.length) lines.push(`- orphans in ${mdCode(p.project)} not checked: the GLBC uid of ${mdText(p.orphans.unknown.join(', '))} is not known`);
      for (const o of p.orphans.orphans) lines.push(`- orphan ${mdCode(`${p.project} ${describeCloudResource(o.resource)}`)}: ${mdText(`${o.reason}${o.blocks ? `; ${o.blocks}` : ''}`)}`);
      if (!p.error && !p.orphans.unknown.length && !p.orphans.orphans.length) lines.push(`- project ${mdCode(p.project)}: no orphaned GLBC resources (gitfed gce gc has nothing to do)`);
    }
  }
  lines.push(...rolloutSection(s.rollout));
  const drift = (r?.clusters ?? []).flatMap((c) => c.drift);
  if (drift.length) {
    lines.push('', '## Drift', '');
    for (const d of drift) {
      lines.push(`- ${mdText(d.cluster)} ${mdCode(`${d.ref.kind} ${d.ref.namespace ? `${d.ref.namespace}/` : ''}${d.ref.name}`)}: ${d.kind === 'deleted' ? 'deleted by hand' : 'modified'} (policy: ${d.mode})`);
      for (const f of d.fields) lines.push(`  - ${mdCode(f.path)}: Git ${mdCode(JSON.stringify(f.git) ?? 'undefined')}, live ${mdCode(JSON.stringify(f.live) ?? 'undefined')}${f.manager ? ` (by ${mdText(f.manager)})` : ''}`);
    }
  }
  const clusterErrors = (r?.clusters ?? []).flatMap((c) => c.errors.map((e) => `${c.cluster}: ${e}`));
  const blocked = (r?.clusters ?? []).flatMap((c) => c.blocked.map((b) => `${c.cluster} ${b.ref.kind} ${b.ref.namespace ?? ''}/${b.ref.name}: ${b.finding.message}`));
  const state = (s.stateFindings ?? []).map((f) => formatFinding(f));
  if (clusterErrors.length || blocked.length || state.length) {
    lines.push('', '## Errors', '');
    for (const e of [...state, ...clusterErrors, ...blocked]) lines.push(`- ${mdText(e)}`);
  }
  lines.push('');
  return lines.join('\n');
}
