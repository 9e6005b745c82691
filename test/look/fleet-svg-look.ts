// Look at fleet.svg as a person would: open it in headless Chromium (Debian's
// `chromium` package; installed with apt-get when missing and running as
// root), check that the browser parses it and lays out a visible box for
// every cluster inside the picture, and take a PNG screenshot.
//
//   npm run look:fleet-svg                      # check; the PNG goes to a temporary directory
//   npm run look:fleet-svg -- --png FILE        # also keep the PNG (the README's example)
//
// Exit 0 when every cluster's box is visible, 1 otherwise, 2 without Chromium.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { fleetSvg } from '../../operator/report/fleet-svg.js';
import type { StatusInput } from '../../operator/report/status-tree.js';

const { values } = parseArgs({ options: { png: { type: 'string' } } });

/** The sample fleet in the middle of a rollout: one cluster drifted, one Offline. */
function sampleStatus(): StatusInput {
  const c = (name: string, extra: Partial<ClusterResult> = {}): ClusterResult => ({
    cluster: name, health: 'Ready', reason: 'ClusterReady', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [],
    counts: { inSync: 6, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {}, ...extra,
  });
  const drift = [{ ref: { kind: 'Deployment', namespace: 'default', name: 'nginx' }, kind: 'modified', mode: 'report', fields: [] }] as unknown as ClusterResult['drift'];
  const shard = (cluster: string, ready: number, state: string) => ({ cluster, ips: ['203.0.113.224'], backends: { 'k8s-be-30001--1a2b3c4d5e6f7a8b': state }, readyEndpoints: ready, totalEndpoints: 2 });
  const result: ReconcileResult = {
    clusters: [c('us-east1'), c('europe-west1', { drift }), c('asia-east1', { health: 'Offline', reason: 'ClusterNotReachable', skipped: 'unreachable' })],
    ingresses: [{ ref: { kind: 'Ingress', namespace: 'default', name: 'nginx' }, staticIp: 'nginx-global-ip', addresses: ['203.0.113.224'], shards: [shard('us-east1', 2, 'HEALTHY'), shard('europe-west1', 2, 'HEALTHY'), shard('asia-east1', 0, 'UNHEALTHY')] }],
    replicas: [{ ref: { kind: 'Deployment', namespace: 'default', name: 'nginx' }, total: 6, plan: { 'us-east1': 3, 'europe-west1': 3, 'asia-east1': 0 }, overflow: {} }],
    allocations: emptyAllocations(), findings: [], renderFailed: false,
  };
  const rollout = { history: [], quarantined: [], current: { revision: '4f9c2e1a7b', verdict: 'running', startedAt: 0, waves: [
    { name: 'canary', clusters: ['us-east1'], state: 'passed', changed: ['us-east1'] },
    { name: 'rest', clusters: ['europe-west1', 'asia-east1'], state: 'running', changed: ['europe-west1'] },
  ] } } as unknown as StatusInput['rollout'];
  return { revision: '4f9c2e1a7b', appliedRevision: '4f9c2e1a7b', repo: 'https://git.example/fleet.git', branch: 'main', findings: [], allocations: emptyAllocations(), result, rollout };
}

function chromium(): string | undefined {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) return undefined;
  process.stderr.write('==> installing Chromium from Debian (apt-get install chromium)\n');
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore' });
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

// The page measures every cluster box as the browser laid it out and writes the result into the DOM.
const MEASURE = `
const svg = document.querySelector('svg');
const frame = svg.getBoundingClientRect();
const boxes = [...document.querySelectorAll('g.cluster')].map((g) => {
  const r = g.getBoundingClientRect();
  const inside = r.width > 0 && r.height > 0 && r.left >= frame.left && r.top >= frame.top && r.right <= frame.right + 0.5 && r.bottom <= frame.bottom + 0.5;
  return { cluster: g.getAttribute('data-cluster'), inside, text: [...g.querySelectorAll('text')].map((t) => t.textContent) };
});
document.getElementById('out').textContent = JSON.stringify({ width: frame.width, height: frame.height, boxes });`;

async function main(): Promise<number> {
  const browser = chromium();
  if (!browser) {
    process.stderr.write('Chromium is not installed: apt-get install chromium (Debian), then run this again\n');
    return 2;
  }
  const status = sampleStatus();
  const svg = fleetSvg(status);
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-look-'));
  try {
    await writeFile(join(dir, 'fleet.svg'), svg);
    await writeFile(join(dir, 'look.html'), `<!doctype html><html><body style="margin:0">${svg}<pre id="out">not measured</pre><script>${MEASURE}</script></body></html>`);
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--user-data-dir=' + join(dir, 'profile')];
    const dom = execFileSync(browser, [...flags, '--dump-dom', `file://${join(dir, 'look.html')}`], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const measured = /<pre id="out">([^<]*)<\/pre>/.exec(dom)?.[1];
    const m = measured && measured !== 'not measured' ? JSON.parse(measured.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as { width: number; height: number; boxes: Array<{ cluster: string; inside: boolean; text: string[] }> } : undefined;
    const [w, h] = /width="(\d+)" height="(\d+)"/.exec(svg)!.slice(1).map(Number) as [number, number];
    const png = join(dir, 'fleet.png');
    execFileSync(browser, [...flags, `--screenshot=${png}`, `--window-size=${w},${h}`, `file://${join(dir, 'fleet.svg')}`], { timeout: 60_000, stdio: 'ignore' });
    const problems: string[] = [];
    if (!m) problems.push('the browser did not run the measurement (the SVG did not load)');
    const want = (status.result?.clusters ?? []).map((c) => c.cluster).sort();
    for (const name of want) {
      const box = m?.boxes.find((b) => b.cluster === name);
      if (!box) problems.push(`${name}: no box`);
      else if (!box.inside) problems.push(`${name}: its box is empty or outside the picture`);
      else process.stdout.write(`ok   ${name}: ${box.text.join(' | ')}\n`);
    }
    const size = existsSync(png) ? (await stat(png)).size : 0;
    if (size < 5_000) problems.push(`the screenshot is missing or blank (${size} bytes)`);
    else process.stdout.write(`ok   screenshot ${w}x${h}, ${size} bytes\n`);
    if (values.png) await copyFile(png, resolve(values.png));
    for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
    return problems.length ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
