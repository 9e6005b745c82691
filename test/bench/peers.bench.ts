// Benchmark (issue 12): gitfed measured side by side with Flux, in one run on
// one sandbox (10 member clusters + 1 host cluster for Flux's CRDs): the
// sample fleet plus 50 objects per cluster, push -> applied in all member
// clusters (p50 and max over BENCH_PUSHES pushes, each peer triggered the
// fastest way it supports), CPU per minute with nothing to do, and RSS; and,
// for the same content, a kubectl loop and a raw PATCH floor. Flux's
// controllers are built from source on the first run (cached). Prints
// numbers; asserts nothing. Peers run one after another, never at once.
import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../../operator/cli/package-root.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { startSandbox, type Sandbox } from '../../operator/sandbox/index.js';
import { OperatorProcess } from '../faults/gitfed-process.js';
import { waitFor } from '../faults/wait.js';
import { sh } from '../helpers/fleet-repo.js';
import { floorPaths, kubectlLoop, patchFloor } from './apply-peers.js';
import { ensureFlux } from './peers/flux-binaries.js';
import { FluxPeer } from './peers/flux-controllers.js';
import { fluxOverlays } from './peers/flux-overlays.js';
import { latency, formatTable, ratioLine, type PeerRow } from './peers/peer-table.js';
import { appliedEverywhere, encryptedFiles, renderPeerFleet, setMarker, writePeerFleet, writeTree } from './peers/peer-fleet.js';
import { idleCost } from './peers/proc-usage.js';

const MEMBERS = Number(process.env.BENCH_CLUSTERS ?? 10);
const PUSHES = Math.max(5, Number(process.env.BENCH_PUSHES ?? 5));
const IDLE_MS = Number(process.env.BENCH_IDLE_SECONDS ?? 60) * 1000;
/** The same poll period for both peers (gitfed --interval, Flux spec.interval). */
const INTERVAL = process.env.BENCH_INTERVAL ?? '1m';
const APPLY_TIMEOUT_MS = 300_000;

const say = (l: string) => console.log(l);
const root = packageRoot();
const work = await mkdtemp(join(tmpdir(), 'gitfed-peers-'));
// SIGINT ends Node without 'exit' hooks; make it an exit, so the sandbox's,
// the controllers' and gitfed's exit hooks kill every process they started.
process.once('SIGINT', () => process.exit(130));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const flux = await ensureFlux((l) => say(`  ${l}`));
if ('skip' in flux) {
  say(`peers bench: skipped: ${flux.skip}`);
  process.exit(0);
}

/** Poll every member until the marker is there; ms from t0, or throw with what is missing. */
async function untilApplied(clients: KubeHttp[], marker: string, t0: number, why: () => Promise<string>): Promise<number> {
  const ok = await waitFor(APPLY_TIMEOUT_MS, () => appliedEverywhere(clients, marker), 10);
  if (!ok) throw new Error(`marker ${marker} not applied in all ${clients.length} clusters within ${APPLY_TIMEOUT_MS / 1000} s: ${await why()}`);
  return performance.now() - t0;
}

const settle = () => new Promise((r) => setTimeout(r, 3000));

let sb: Sandbox | undefined;
try {
  const t0 = Date.now();
  sb = await startSandbox({ clusters: MEMBERS + 1, controllers: false, dir: join(work, 'sandbox') });
  const members = sb.clusters.slice(0, MEMBERS);
  const host = sb.clusters[MEMBERS]!;
  say(`peers bench: ${MEMBERS} member clusters + 1 host cluster (${host.name}, Flux's CRDs), Kubernetes ${sb.version}, sandbox up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  say(`  Flux controllers built from source: ${flux.versions}${flux.buildSeconds ? ` (built in this run: ${flux.buildSeconds} s)` : ' (from the cache)'}`);
  say(`  content: the sample fleet + 50 objects per cluster; poll interval ${INTERVAL} for both; ${PUSHES} pushes each; idle window ${IDLE_MS / 1000} s`);
  const clients = members.map((c) => new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }));
  const rows: PeerRow[] = [];

  // ---- gitfed run, triggered by a signed webhook
  const fleet = join(work, 'fleet');
  sh(work, 'init', '-q', '-b', 'main', fleet);
  await writePeerFleet(root, fleet, members.map((c) => c.name), 'gitfed-0');
  sh(fleet, 'add', '.');
  sh(fleet, 'commit', '-q', '-m', 'fleet');
  sh(fleet, 'push', '-q', sb.git.url, 'main');
  const secretFile = join(work, 'webhook-secret');
  await writeFile(secretFile, 'bench-peers\n', { mode: 0o600 });
  const op = new OperatorProcess(root, ['--repo', sb.git.url, '--kubeconfig', sb.kubeconfig, '--interval', INTERVAL, '--listen', '127.0.0.1:0',
    '--webhook-secret-file', secretFile, '--age-key-file', sb.ageKeyFile, '--work-dir', join(work, 'op'), '--log-format', 'json']);
  process.on('exit', () => op.child.kill('SIGKILL'));
  try {
    const url = await op.url(60_000);
    if (!url) throw new Error(`gitfed run did not start: ${op.describeExit()}`);
    await untilApplied(clients, 'gitfed-0', performance.now(), async () => op.lastError() ?? 'no error logged');
    await waitFor(60_000, () => op.count('status committed') >= 1);
    const samples: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const committed = op.count('status committed');
      await setMarker(fleet, `gitfed-${i}`);
      sh(fleet, 'commit', '-q', '-am', `push ${i}`);
      const t = performance.now();
      sh(fleet, 'push', '-q', sb.git.url, 'main');
      const body = JSON.stringify({ ref: 'refs/heads/main' });
      const res = await fetch(`${url}/webhook`, { method: 'POST', body, headers: { 'x-github-event': 'push', 'x-github-delivery': `peers-${i}`, 'x-hub-signature-256': `sha256=${createHmac('sha256', 'bench-peers').update(body).digest('hex')}` } });
      if (res.status !== 202 && res.status !== 200) throw new Error(`gitfed webhook answered ${res.status}`);
      samples.push(await untilApplied(clients, `gitfed-${i}`, t, async () => op.lastError() ?? 'no error logged'));
      // The next push only once this revision's status commit landed: one revision per tick.
      await waitFor(60_000, () => op.count('status committed') > committed, 50);
    }
    await settle();
    const idle = await idleCost([op.child.pid!], IDLE_MS);
    rows.push({ name: 'gitfed', push: latency(samples), idleCpu: idle.cpuPerMinute, rssBytes: idle.rssBytes, note: 'gitfed run, webhook' });
    say(`  gitfed: ${samples.map((s) => s.toFixed(0)).join(' / ')} ms`);
  } finally {
    await op.stop();
  }

  // ---- Flux: per-cluster overlays of the same render, one GitRepository, a Kustomization per member
  const fluxRepo = await sb.git.createRepo('flux');
  const fluxClone = join(work, 'flux');
  sh(work, 'init', '-q', '-b', 'main', fluxClone);
  const encrypted = await encryptedFiles(fleet);
  const overlays = async (marker: string) => {
    await setMarker(fleet, marker);
    await writeTree(fluxClone, 'clusters', fluxOverlays(await renderPeerFleet(fleet, sb!.ageKeyFile), encrypted));
    sh(fluxClone, 'add', '-A');
    sh(fluxClone, 'commit', '-q', '-m', marker);
  };
  await overlays('flux-0');
  sh(fluxClone, 'push', '-q', fluxRepo, 'main');
  const peer = await FluxPeer.start({ sb, host, members, bins: flux, repoUrl: fluxRepo, interval: INTERVAL, concurrent: MEMBERS, dir: join(work, 'flux-run') });
  try {
    const why = async () => `${(await peer.notReady()).slice(0, 3).join('; ') || 'all Kustomizations Ready'} (logs: ${peer.logs().join(', ')})`;
    await untilApplied(clients, 'flux-0', performance.now(), why);
    const samples: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      await waitFor(120_000, async () => (await peer.notReady()).length === 0, 100);
      // The render and commit are CI's work before the push: not in Flux's time.
      await overlays(`flux-${i}`);
      const t = performance.now();
      sh(fluxClone, 'push', '-q', fluxRepo, 'main');
      await peer.requestReconcile();
      samples.push(await untilApplied(clients, `flux-${i}`, t, why));
    }
    await waitFor(120_000, async () => (await peer.notReady()).length === 0, 100);
    await settle();
    const idle = await idleCost(peer.pids(), IDLE_MS);
    rows.push({ name: 'Flux', push: latency(samples), idleCpu: idle.cpuPerMinute, rssBytes: idle.rssBytes, note: `source- + kustomize-controller, requestedAt annotation, --concurrent=${MEMBERS}` });
    say(`  Flux: ${samples.map((s) => s.toFixed(0)).join(' / ')} ms`);
  } finally {
    await peer.stop();
  }

  // ---- the same render applied without any operator: a kubectl loop, and the PATCH floor
  const kubectlSamples: number[] = [];
  for (let i = 1; i <= PUSHES; i++) {
    await setMarker(fleet, `kubectl-${i}`);
    const rendered = await renderPeerFleet(fleet, sb.ageKeyFile);
    const byName = new Map(rendered.map((c) => [c.cluster, c]));
    const ms = kubectlLoop(sb.kubectl, sb.kubeconfig, members.map((c) => ({ context: c.name, objects: [...byName.get(c.name)!.objects] })), { fieldManager: 'kubectl-bench', force: true });
    if (!(await appliedEverywhere(clients, `kubectl-${i}`))) throw new Error('the kubectl loop returned but the marker is missing');
    kubectlSamples.push(ms);
  }
  rows.push({ name: 'kubectl loop', push: latency(kubectlSamples), note: 'apply --server-side, one cluster after another (no git)' });
  const floorSamples: number[] = [];
  let paths: string[][] | undefined;
  for (let i = 1; i <= PUSHES; i++) {
    await setMarker(fleet, `floor-${i}`);
    const rendered = await renderPeerFleet(fleet, sb.ageKeyFile);
    const byName = new Map(rendered.map((c) => [c.cluster, c]));
    const objects = members.map((c) => [...byName.get(c.name)!.objects]);
    paths ??= await floorPaths(clients, objects);
    floorSamples.push(await patchFloor(clients, objects, paths, { fieldManager: 'floor', force: true }));
    if (!(await appliedEverywhere(clients, `floor-${i}`))) throw new Error('the PATCH floor returned but the marker is missing');
  }
  rows.push({ name: 'PATCH floor', push: latency(floorSamples), note: 'every object to every cluster at once (no git)' });
  clients.forEach((h) => h.close());

  say('');
  say(formatTable(rows));
  say('');
  say(ratioLine(rows[0]!, rows[1]!));
  say(`gitfed vs kubectl loop: push->applied p50 ${(rows[2]!.push!.p50 / rows[0]!.push!.p50).toFixed(1)}x; gitfed / PATCH floor: ${(rows[0]!.push!.p50 / rows[3]!.push!.p50).toFixed(1)}x (gitfed and Flux include git; kubectl and the floor do not)`);
} finally {
  await sb?.stop();
}
