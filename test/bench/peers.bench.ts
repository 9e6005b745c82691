// Benchmark (issue 12): gitfed measured side by side with Flux, in one run on
// one sandbox (10 member clusters + 1 host cluster for Flux's CRDs): the
// sample fleet plus 50 objects per cluster, push -> applied in all member
// clusters (p50 and max over BENCH_PUSHES pushes, each peer triggered the
// fastest way it supports), CPU per minute with nothing to do, and RSS; and,
// for the same content, a kubectl loop and a raw PATCH floor. Flux's
// controllers are built from source on the first run (cached). Prints
// numbers; asserts nothing. Peers run one after another, never at once.
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../../operator/cli/package-root.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { startSandbox, type Sandbox, type SandboxCluster } from '../../operator/sandbox/index.js';
import { OperatorProcess } from '../faults/gitfed-process.js';
import { waitFor } from '../faults/wait.js';
import { git as sh } from '../faults/fleet-repo.js';
import { floorPaths, kubectlLoop, patchFloor } from './apply-peers.js';
import { AppliedWatch, sendWebhook } from './fleet-push.js';
import { ensureFlux, type FluxBinaries } from './peers/flux-binaries.js';
import { FluxPeer } from './peers/flux-controllers.js';
import { fluxOverlays } from './peers/flux-overlays.js';
import { latency, formatTable, ratio, ratioLine, type PeerRow } from './peers/peer-table.js';
import { appliedEverywhere, encryptedFiles, MARKER_NS, renderPeerFleet, setMarker, writePeerFleet, writeTree } from './peers/peer-fleet.js';
import { idleCost } from './peers/proc-usage.js';

const MEMBERS = Number(process.env.BENCH_CLUSTERS ?? 10);
const PUSHES = Math.max(5, Number(process.env.BENCH_PUSHES ?? 5));
const IDLE_MS = Number(process.env.BENCH_IDLE_SECONDS ?? 60) * 1000;
/** The same poll period for both peers (gitfed --interval, Flux spec.interval). */
const INTERVAL = process.env.BENCH_INTERVAL ?? '1m';
const APPLY_TIMEOUT_MS = 300_000;
/** Which peers to run (all by default): gitfed, flux, kubectl (the kubectl loop and the PATCH floor). */
const PEERS = new Set((process.env.BENCH_PEERS ?? 'gitfed,flux,kubectl').split(',').map((p) => p.trim()));
/** More `gitfed run` flags, space-separated (to see what one costs, e.g. "--health-interval 1h"). */
const GITFED_ARGS = (process.env.BENCH_GITFED_ARGS ?? '').split(' ').filter(Boolean);

interface Bench {
  sb: Sandbox;
  members: SandboxCluster[];
  host: SandboxCluster;
  clients: KubeHttp[];
  /** One watch per member on the marker ConfigMap, open for the whole run. */
  watch: AppliedWatch;
  work: string;
  /** The gitfed fleet repo's checkout (also the input of Flux's render). */
  fleet: string;
}

const say = (l: string) => console.log(l);
const settle = () => new Promise((r) => setTimeout(r, 3000));

/**
 * ms from t0 until every member's watch reported the marker, or throw with
 * what is missing. Watches, not polling GETs: the same for both peers, and
 * no load on the apiservers they write to.
 */
async function untilApplied(watch: AppliedWatch, marker: string, t0: number, why: () => Promise<string>): Promise<number> {
  try {
    return await watch.applied(marker, t0, APPLY_TIMEOUT_MS);
  } catch (e) {
    throw new Error(`marker ${marker}: ${(e as Error).message}: ${await why()}`);
  }
}

/** gitfed run on the fleet repo, each push announced by a signed GitHub-style webhook. */
async function gitfedPeer(b: Bench): Promise<PeerRow> {
  const secretFile = join(b.work, 'webhook-secret');
  await writeFile(secretFile, 'bench-peers\n', { mode: 0o600 });
  const op = new OperatorProcess(packageRoot(), ['--repo', b.sb.git.url, '--kubeconfig', b.sb.kubeconfig, '--interval', INTERVAL, '--listen', '127.0.0.1:0',
    '--webhook-secret-file', secretFile, '--age-key-file', b.sb.ageKeyFile, '--work-dir', join(b.work, 'op'), '--log-format', 'json', ...GITFED_ARGS]);
  const kill = () => op.child.kill('SIGKILL');
  process.on('exit', kill);
  try {
    const url = await op.url(60_000);
    if (!url) throw new Error(`gitfed run did not start: ${op.describeExit()}`);
    const why = async () => op.lastError() ?? (op.running ? 'no error logged' : op.describeExit());
    await untilApplied(b.watch, 'gitfed-0', performance.now(), why);
    await waitFor(60_000, () => op.count('status committed') >= 1);
    const samples: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const committed = op.count('status committed');
      await setMarker(b.fleet, `gitfed-${i}`);
      sh(b.fleet, 'commit', '-q', '-am', `gitfed-${i}`);
      const t = performance.now();
      sh(b.fleet, 'push', '-q', b.sb.git.url, 'main');
      await sendWebhook(url, 'bench-peers', sh(b.fleet, 'rev-parse', 'HEAD').trim(), `peers-${i}`);
      samples.push(await untilApplied(b.watch, `gitfed-${i}`, t, why));
      // The next push once this revision's status commit landed: one revision per tick.
      await waitFor(60_000, () => op.count('status committed') > committed, 50);
    }
    await settle();
    const idle = await idleCost([op.child.pid!], IDLE_MS);
    say(`  gitfed: ${samples.map((s) => s.toFixed(0)).join(' / ')} ms`);
    return { name: 'gitfed', push: latency(samples), idleCpu: idle.cpuPerMinute, rssBytes: idle.rssBytes, note: 'gitfed run, webhook' };
  } finally {
    await op.stop();
    process.off('exit', kill);
  }
}

/** Flux: per-cluster overlays of the same render in a repo of their own, announced with the requestedAt annotation. */
async function fluxPeer(b: Bench, bins: FluxBinaries): Promise<PeerRow> {
  const repo = await b.sb.git.createRepo('flux');
  const clone = join(b.work, 'flux');
  sh(b.work, 'init', '-q', '-b', 'main', clone);
  const encrypted = await encryptedFiles(b.fleet);
  const commitOverlays = async (marker: string) => {
    await setMarker(b.fleet, marker);
    await writeTree(clone, 'clusters', fluxOverlays(await renderPeerFleet(b.fleet, b.sb.ageKeyFile), encrypted));
    sh(clone, 'add', '-A');
    sh(clone, 'commit', '-q', '-m', marker);
  };
  await commitOverlays('flux-0');
  sh(clone, 'push', '-q', repo, 'main');
  const peer = await FluxPeer.start({ sb: b.sb, host: b.host, members: b.members, bins, repoUrl: repo, interval: INTERVAL, concurrent: MEMBERS, dir: join(b.work, 'flux-run') });
  try {
    const why = async () => `${(await peer.notReady()).slice(0, 3).join('; ') || 'every Kustomization Ready'} (logs: ${peer.logs().join(', ')})`;
    const allReady = () => waitFor(120_000, async () => (await peer.notReady()).length === 0, 100);
    await untilApplied(b.watch, 'flux-0', performance.now(), why);
    const samples: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      await allReady();
      // Rendering and committing the overlays is CI's work before the push: not in Flux's time.
      await commitOverlays(`flux-${i}`);
      const t = performance.now();
      sh(clone, 'push', '-q', repo, 'main');
      await peer.requestReconcile();
      samples.push(await untilApplied(b.watch, `flux-${i}`, t, why));
    }
    await allReady();
    await settle();
    const idle = await idleCost(peer.pids(), IDLE_MS);
    say(`  Flux: ${samples.map((s) => s.toFixed(0)).join(' / ')} ms`);
    return { name: 'Flux', push: latency(samples), idleCpu: idle.cpuPerMinute, rssBytes: idle.rssBytes, note: `source- + kustomize-controller, requestedAt annotation, --concurrent=${MEMBERS}` };
  } finally {
    await peer.stop();
  }
}

/** The same render applied with no operator and no git: a kubectl loop, then the raw PATCH floor. */
async function applyPeers(b: Bench): Promise<PeerRow[]> {
  const render = async (marker: string) => {
    await setMarker(b.fleet, marker);
    const byName = new Map((await renderPeerFleet(b.fleet, b.sb.ageKeyFile)).map((c) => [c.cluster, c.objects]));
    return b.members.map((c) => [...byName.get(c.name)!]);
  };
  const kubectl: number[] = [];
  for (let i = 1; i <= PUSHES; i++) {
    const objects = await render(`kubectl-${i}`);
    kubectl.push(kubectlLoop(b.sb.kubectl, b.sb.kubeconfig, b.members.map((c, j) => ({ context: c.name, objects: objects[j]! })), { fieldManager: 'kubectl-bench', force: true }));
    if (!(await appliedEverywhere(b.clients, `kubectl-${i}`))) throw new Error('the kubectl loop returned but the marker is missing');
  }
  const floor: number[] = [];
  let paths: string[][] | undefined;
  for (let i = 1; i <= PUSHES; i++) {
    const objects = await render(`floor-${i}`);
    paths ??= await floorPaths(b.clients, objects);
    floor.push(await patchFloor(b.clients, objects, paths, { fieldManager: 'floor', force: true }));
    if (!(await appliedEverywhere(b.clients, `floor-${i}`))) throw new Error('the PATCH floor returned but the marker is missing');
  }
  return [
    { name: 'kubectl loop', push: latency(kubectl), note: 'apply --server-side, one cluster after another (no git)' },
    { name: 'PATCH floor', push: latency(floor), note: 'every object to every cluster at once (no git)' },
  ];
}

const work = await mkdtemp(join(tmpdir(), 'gitfed-peers-'));
// SIGINT ends Node without 'exit' hooks; make it an exit, so the sandbox's,
// the controllers' and gitfed's exit hooks kill every process they started.
process.once('SIGINT', () => process.exit(130));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const flux = PEERS.has('flux') ? await ensureFlux((l) => say(`  ${l}`)) : undefined;
if (flux && 'skip' in flux) {
  say(`peers bench: skipped: ${flux.skip}`);
  process.exit(0);
}

let sb: Sandbox | undefined;
try {
  const t0 = Date.now();
  sb = await startSandbox({ clusters: MEMBERS + 1, controllers: false, dir: join(work, 'sandbox') });
  const members = sb.clusters.slice(0, MEMBERS);
  const host = sb.clusters[MEMBERS]!;
  say(`peers bench: ${MEMBERS} member clusters + 1 host cluster (${host.name}, for Flux's CRDs), Kubernetes ${sb.version}, sandbox up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (flux) say(`  Flux controllers built from source: ${flux.versions}${flux.buildSeconds ? ` (built in this run: ${flux.buildSeconds} s)` : ' (from the cache)'}`);
  say(`  content: the sample fleet + 50 objects per cluster; poll interval ${INTERVAL} for both; ${PUSHES} pushes each; idle window ${IDLE_MS / 1000} s`);
  const clients = members.map((c) => new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }));
  const watch = await AppliedWatch.open(clients, 120_000, { namespace: MARKER_NS, name: 'cm-0', key: 'marker' });
  const b: Bench = { sb, members, host, clients, watch, work, fleet: join(work, 'fleet') };
  sh(work, 'init', '-q', '-b', 'main', b.fleet);
  await writePeerFleet(packageRoot(), b.fleet, members.map((c) => c.name), 'gitfed-0');
  sh(b.fleet, 'add', '.');
  sh(b.fleet, 'commit', '-q', '-m', 'fleet');
  sh(b.fleet, 'push', '-q', sb.git.url, 'main');

  const rows: PeerRow[] = [];
  // A peer that fails is a row that says so; the others are still printed.
  const measure = async (name: string, fn: () => Promise<PeerRow[]>) => {
    try {
      for (const r of await fn()) {
        rows.push(r);
        say(`  ${r.name}: p50 ${r.push?.p50.toFixed(0)} ms, max ${r.push?.max.toFixed(0)} ms${r.idleCpu === undefined ? '' : `, idle CPU ${r.idleCpu.toFixed(2)} s/min, RSS ${((r.rssBytes ?? 0) / 1048576).toFixed(0)} MB`}`);
      }
    } catch (e) {
      rows.push({ name, note: `failed: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}` });
      say(`  ${name} failed: ${(e as Error).stack ?? e}`);
    }
  };
  if (PEERS.has('gitfed')) await measure('gitfed', async () => [await gitfedPeer(b)]);
  if (flux) await measure('Flux', async () => [await fluxPeer(b, flux)]);
  if (PEERS.has('kubectl')) await measure('kubectl loop / PATCH floor', () => applyPeers(b));
  watch.close();
  b.clients.forEach((h) => h.close());

  say('');
  say(formatTable(rows));
  say('');
  const row = (name: string) => rows.find((r) => r.name === name);
  const [g, f, k, p] = [row('gitfed'), row('Flux'), row('kubectl loop'), row('PATCH floor')];
  if (g && f) say(ratioLine(g, f));
  if (g?.push && k?.push && p?.push) say(`gitfed vs kubectl loop: push->applied p50 ${ratio(g.push.p50, k.push.p50)}; gitfed's p50 is ${(g.push.p50 / p.push.p50).toFixed(1)}x the PATCH floor's (gitfed and Flux include git; the kubectl loop and the floor do not)`);
} finally {
  await sb?.stop();
}
