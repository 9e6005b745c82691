// fleet.svg on the status branch: the fleet at a glance, shown by GitHub,
// GitLab and Gitea through the status README. Plain SVG text built here
// (no browser, no fonts measured): the same status gives the same bytes, so
// an unchanged fleet makes no status commit. Everything that comes from
// users or clusters is XML-escaped and cut to fit its box.
import type { ClusterResult, ReconcileResult } from '../cluster/reconcile-types.js';
import type { RolloutIndex } from '../core/rollout-model.js';

export interface FleetPicture {
  result?: ReconcileResult;
  rollout?: RolloutIndex;
  /** The revision applied (short), shown in the title. */
  revision?: string;
}

const BOX_W = 210;
const BOX_H = 150;
const GAP = 20;
const MARGIN = 20;
const TOP_H = 96;
const LINE = 16;

/** Fill and stroke per health: green serving, amber unsure, red down, grey paused. */
const COLOURS: Record<string, [string, string]> = {
  Ready: ['#e6f4ea', '#1e8e3e'], NotReady: ['#fef7e0', '#e37400'], Unknown: ['#fef7e0', '#e37400'],
  Offline: ['#fce8e6', '#d93025'], Paused: ['#f1f3f4', '#5f6368'], Held: ['#f1f3f4', '#5f6368'],
};
const RED = '#d93025';

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // Characters XML 1.0 forbids (control characters) cannot appear even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
}

/** At most `max` characters (a box is ~`max` monospace characters wide). */
function fit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function text(x: number, y: number, value: string, opts: { size?: number; bold?: boolean; fill?: string; anchor?: 'middle'; max?: number } = {}): string {
  const attrs = [`x="${x}"`, `y="${y}"`, `font-size="${opts.size ?? 12}"`];
  if (opts.bold) attrs.push('font-weight="bold"');
  if (opts.fill) attrs.push(`fill="${opts.fill}"`);
  if (opts.anchor) attrs.push(`text-anchor="${opts.anchor}"`);
  return `<text ${attrs.join(' ')}>${xmlEscape(fit(value, opts.max ?? 30))}</text>`;
}

/** One word for the backends GLBC reports for a cluster: the worst of them. */
function backendHealth(r: ReconcileResult | undefined, cluster: string): string {
  const states = (r?.ingresses ?? []).flatMap((i) => i.shards.filter((s) => s.cluster === cluster).flatMap((s) => Object.values(s.backends)));
  if (states.length === 0) return 'none reported';
  if (states.some((s) => s.toUpperCase() === 'UNHEALTHY')) return 'UNHEALTHY';
  return states.every((s) => s.toUpperCase() === 'HEALTHY') ? 'HEALTHY' : 'Unknown';
}

function clusterLines(c: ClusterResult, p: FleetPicture): Array<{ label: string; alert?: boolean }> {
  const r = p.result;
  const replicas = (r?.replicas ?? []).reduce((n, d) => n + (d.plan[c.cluster] ?? 0), 0);
  const shards = (r?.ingresses ?? []).flatMap((i) => i.shards.filter((s) => s.cluster === c.cluster));
  const ready = shards.reduce((n, s) => n + s.readyEndpoints, 0);
  const total = shards.reduce((n, s) => n + s.totalEndpoints, 0);
  const backend = backendHealth(r, c.cluster);
  const out: Array<{ label: string; alert?: boolean }> = [
    { label: `replicas: ${replicas}` },
    { label: `ready endpoints: ${ready}/${total}`, alert: total > 0 && ready === 0 },
    { label: `backend: ${backend}`, alert: backend === 'UNHEALTHY' },
  ];
  const current = p.rollout?.current;
  const wave = current?.waves.find((w) => w.clusters.includes(c.cluster));
  if (current && wave) out.push({ label: `wave ${wave.name}: ${wave.state}`, alert: wave.state === 'failed' });
  const drifted = c.drift.length;
  if (drifted) out.push({ label: `drift: ${drifted} object(s)`, alert: true });
  const errors = c.errors.length + c.counts.failed;
  if (errors) out.push({ label: `errors: ${errors}`, alert: true });
  return out;
}

function healthOf(c: ClusterResult): string {
  if (c.skipped === 'paused') return 'Paused';
  if (c.skipped === 'held') return 'Held';
  return c.health;
}

/** The SVG document (UTF-8 text, ends with a newline). */
export function fleetSvg(p: FleetPicture): string {
  const clusters = [...(p.result?.clusters ?? [])].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const n = Math.max(clusters.length, 1);
  const width = Math.max(2 * MARGIN + n * BOX_W + (n - 1) * GAP, 640);
  const height = MARGIN + TOP_H + 40 + BOX_H + MARGIN + 20;
  const cx = width / 2;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  // The global load balancer: one line per federated Ingress (address, static IP name), then the backends.
  const ingresses = p.result?.ingresses ?? [];
  const topW = Math.min(width - 2 * MARGIN, 560);
  out.push(`<rect x="${cx - topW / 2}" y="${MARGIN}" width="${topW}" height="${TOP_H}" rx="6" fill="#e8f0fe" stroke="#1a73e8"/>`);
  out.push(text(cx, MARGIN + 18, `global load balancer${p.revision ? ` · revision ${p.revision}` : ''}`, { bold: true, anchor: 'middle', max: 70 }));
  const lbLines = ingresses.length === 0 ? ['no federated Ingress yet'] : ingresses.slice(0, 3).map((i) => `${i.ref.namespace ?? 'default'}/${i.ref.name}: ${i.addresses.join(', ') || 'no address yet'}${i.staticIp ? ` (static IP ${i.staticIp})` : ''}`);
  if (ingresses.length > 3) lbLines[2] = `… and ${ingresses.length - 2} more Ingresses`;
  lbLines.forEach((l, k) => out.push(text(cx, MARGIN + 38 + k * LINE, l, { anchor: 'middle', max: 76 })));
  const backends = [...new Set(ingresses.flatMap((i) => i.shards.flatMap((s) => Object.keys(s.backends))))].sort();
  out.push(text(cx, MARGIN + TOP_H - 8, `backend: ${backends.join(', ') || 'none reported yet'}`, { anchor: 'middle', max: 76, size: 11 }));
  const boxTop = MARGIN + TOP_H + 40;
  clusters.forEach((c, k) => {
    const x = MARGIN + k * (BOX_W + GAP) + (width - (2 * MARGIN + n * BOX_W + (n - 1) * GAP)) / 2;
    const health = healthOf(c);
    const [fill, stroke] = COLOURS[health] ?? COLOURS.Unknown!;
    out.push(`<line x1="${cx}" y1="${MARGIN + TOP_H}" x2="${x + BOX_W / 2}" y2="${boxTop}" stroke="${stroke}" stroke-width="2"/>`);
    out.push(`<rect x="${x}" y="${boxTop}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="2"/>`);
    out.push(text(x + 10, boxTop + 20, c.cluster, { bold: true, size: 13, max: 24 }));
    out.push(text(x + 10, boxTop + 38, health, { bold: true, fill: stroke, max: 26 }));
    clusterLines(c, p).forEach((l, i) => out.push(text(x + 10, boxTop + 58 + i * LINE, `${l.alert ? '! ' : ''}${l.label}`, { max: 27, ...(l.alert ? { fill: RED } : {}) })));
  });
  if (clusters.length === 0) out.push(text(cx, boxTop + 20, 'no clusters reported yet', { anchor: 'middle' }));
  out.push(text(MARGIN, height - 10, 'green Ready · amber NotReady/Unknown · red Offline · grey paused/held · ! needs attention', { size: 10, fill: '#5f6368', max: 100 }));
  out.push('</svg>', '');
  return out.join('\n');
}
