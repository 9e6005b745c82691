// fleet.svg on the status branch: the fleet at a glance in a Git web UI
// (GitHub, GitLab and Gitea show an SVG referenced from README.md). The
// global load balancer on top (address, static-IP name, backends), one box
// per cluster below it: health as colour, replicas, ready endpoints, backend
// health, the rollout wave and its state, drift and errors. Pure and
// deterministic (no clock, sorted input), so an unchanged fleet writes the
// same bytes and makes no commit. Plain SVG 1.1 text: no script, no external
// font or image, every user string escaped.
import type { ClusterResult, IngressStatus } from '../cluster/reconcile-types.js';
import type { RolloutRecord } from '../core/rollout-model.js';
import { shortRev } from '../core/short-rev.js';
import type { StatusInput } from './status-tree.js';

/** Its name on the status branch (README.md shows it). */
export const FLEET_SVG = 'fleet.svg';

const BOX_W = 200;
const BOX_H = 132;
const GAP = 20;
const PER_ROW = 4;
const TOP = 150;

/** Fill and stroke per health verdict (Paused: Cluster spec.paused). */
const COLOURS: Record<string, { fill: string; stroke: string }> = {
  Ready: { fill: '#e6f4ea', stroke: '#1e8e3e' },
  NotReady: { fill: '#fef7e0', stroke: '#e37400' },
  Offline: { fill: '#fce8e6', stroke: '#d93025' },
  Unknown: { fill: '#f1f3f4', stroke: '#5f6368' },
  Paused: { fill: '#e8f0fe', stroke: '#1967d2' },
};

/** XML text and attribute values: nothing a cluster or user names can open markup. */
export function xmlEscape(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}

/** At most `n` characters (an SVG text does not wrap; a long name would run out of its box). */
function fit(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

function text(x: number, y: number, body: string, attrs = ''): string {
  return `<text x="${x}" y="${y}"${attrs ? ` ${attrs}` : ''}>${xmlEscape(body)}</text>`;
}

interface ClusterFacts {
  name: string;
  health: string;
  replicas: number;
  ready: number;
  total: number;
  backend: string;
  wave?: string;
  drift: number;
  errors: number;
}

function backendVerdict(states: string[]): string {
  if (states.length === 0) return 'no backend health yet';
  const healthy = states.filter((s) => s === 'HEALTHY').length;
  return healthy === states.length ? `backends HEALTHY ${healthy}/${states.length}` : `backends ${states.length - healthy} not healthy of ${states.length}`;
}

function waveOf(cluster: string, r: RolloutRecord | undefined): string | undefined {
  if (!r || r.verdict === 'done') return undefined;
  const w = r.waves.find((x) => x.clusters.includes(cluster));
  return w ? `wave ${w.name}: ${w.state}` : undefined;
}

function facts(c: ClusterResult, s: StatusInput, ingresses: readonly IngressStatus[]): ClusterFacts {
  const shards = ingresses.flatMap((i) => i.shards.filter((x) => x.cluster === c.cluster));
  const wave = waveOf(c.cluster, s.rollout?.current);
  return {
    name: c.cluster,
    health: c.skipped === 'paused' ? 'Paused' : c.health,
    replicas: (s.result?.replicas ?? []).reduce((n, d) => n + (d.plan[c.cluster] ?? 0), 0),
    ready: shards.reduce((n, x) => n + x.readyEndpoints, 0),
    total: shards.reduce((n, x) => n + x.totalEndpoints, 0),
    backend: backendVerdict(shards.flatMap((x) => Object.values(x.backends)).sort()),
    ...(wave ? { wave } : {}),
    drift: c.drift.length,
    errors: c.errors.length + c.counts.failed,
  };
}

function clusterBox(f: ClusterFacts, x: number, y: number): string[] {
  const colour = COLOURS[f.health] ?? COLOURS.Unknown!;
  const out = [
    `<g class="cluster" data-cluster="${xmlEscape(f.name)}">`,
    `<rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="8" fill="${colour.fill}" stroke="${colour.stroke}" stroke-width="2"/>`,
    text(x + 12, y + 22, fit(f.name, 24), 'font-weight="bold" font-size="14"'),
    text(x + 12, y + 42, f.health, `fill="${colour.stroke}" font-weight="bold"`),
    text(x + 12, y + 60, `replicas ${f.replicas}`),
    text(x + 12, y + 76, `ready endpoints ${f.ready}/${f.total}`),
    text(x + 12, y + 92, fit(f.backend, 30)),
  ];
  if (f.wave) out.push(text(x + 12, y + 108, fit(f.wave, 30), 'fill="#1967d2"'));
  const marks = [f.drift ? `drift ${f.drift}` : '', f.errors ? `errors ${f.errors}` : ''].filter(Boolean).join('  ');
  if (marks) out.push(text(x + 12, y + 124, marks, `fill="${f.errors ? '#d93025' : '#e37400'}" font-weight="bold"`));
  out.push('</g>');
  return out;
}

/** The SVG for one status tree. */
export function fleetSvg(s: StatusInput): string {
  const clusters = [...(s.result?.clusters ?? [])].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const ingresses = [...(s.result?.ingresses ?? [])].sort((a, b) => `${a.ref.namespace}/${a.ref.name}`.localeCompare(`${b.ref.namespace}/${b.ref.name}`));
  const cols = Math.max(1, Math.min(PER_ROW, clusters.length));
  const rows = Math.max(1, Math.ceil(clusters.length / PER_ROW));
  const width = Math.max(640, GAP + cols * (BOX_W + GAP));
  const height = TOP + rows * (BOX_H + GAP) + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${xmlEscape(`gitfed fleet at ${shortRev(s.revision)}`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(GAP, 24, `gitfed fleet: ${shortRev(s.appliedRevision, 'nothing')} applied (head ${shortRev(s.revision)})`, 'font-size="15" font-weight="bold"'),
  ];
  // The load balancer: one line per federated Ingress (address, static-IP name, backends).
  const lbX = GAP;
  const lbW = width - 2 * GAP;
  out.push(`<rect x="${lbX}" y="36" width="${lbW}" height="84" rx="8" fill="#f8f9fa" stroke="#3c4043" stroke-width="2"/>`);
  out.push(text(lbX + 12, 56, 'Global load balancer', 'font-weight="bold"'));
  if (ingresses.length === 0) out.push(text(lbX + 12, 76, 'no federated Ingress'));
  ingresses.slice(0, 3).forEach((i, n) => {
    const backends = [...new Set(i.shards.flatMap((x) => Object.keys(x.backends)))].sort();
    const line = `${i.ref.namespace}/${i.ref.name}: ${i.addresses.join(', ') || 'no address yet'}${i.staticIp ? ` (static IP ${i.staticIp})` : ''}; backend ${backends.join(', ') || 'none reported'}`;
    out.push(text(lbX + 12, 76 + n * 16, fit(line, Math.floor(lbW / 6.5))));
  });
  if (ingresses.length > 3) out.push(text(lbX + lbW - 12, 56, `+${ingresses.length - 3} more Ingresses`, 'text-anchor="end"'));
  clusters.forEach((c, n) => {
    const x = GAP + (n % PER_ROW) * (BOX_W + GAP);
    const y = TOP + Math.floor(n / PER_ROW) * (BOX_H + GAP);
    // A line from the load balancer to every cluster that serves behind it.
    const serving = ingresses.some((i) => i.shards.some((sh) => sh.cluster === c.cluster));
    if (serving) out.push(`<line x1="${x + BOX_W / 2}" y1="120" x2="${x + BOX_W / 2}" y2="${y}" stroke="#9aa0a6" stroke-width="1.5"/>`);
    out.push(...clusterBox(facts(c, s, ingresses), x, y));
  });
  if (clusters.length === 0) out.push(text(GAP, TOP + 20, 'no cluster observed yet'));
  out.push('</svg>', '');
  return out.join('\n');
}
