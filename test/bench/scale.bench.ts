// Benchmark (issue 12): how gitfed grows with the number of clusters. For
// each size in BENCH_SCALE_SIZES (default 10,25,50,100) a lean sandbox
// without controllers, then: the one-shot `gitfed apply` cold and no-op,
// where that time goes (node start, the same apply in-process, the slowest
// cluster alone, a raw PATCH floor), and a `gitfed run` process fed by a
// webhook: push -> applied-in-every-cluster p50/p99, a quiet tick's duration
// and requests, the operator's RSS and CPU. One sandbox at a time; a size
// that cannot start is reported and ends the run. Prints numbers; asserts
// nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { apiserverMemory } from '../../operator/cli/sandbox.js';
import { closeAll, connect } from '../../operator/cluster/connect.js';
import { reconcileFleet } from '../../operator/cluster/reconcile.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { loadFleetDir } from '../../operator/load/index.js';
import { startSandbox, type Sandbox } from '../../operator/sandbox/index.js';
import { privateBytes, rssBytes, stopProcess } from '../../operator/sandbox/supervisor.js';
import { floorPaths, patchFloor } from './apply-peers.js';
import { AppliedWatch, clusterClients, fleetRepo, percentile, sendWebhook, versionedObjects } from './fleet-push.js';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10,25,50,100').split(',').map(Number).filter((n) => n > 0);
const OBJECTS = Number(process.env.BENCH_SCALE_OBJECTS ?? 10);
const PUSHES = Number(process.env.BENCH_SCALE_PUSHES ?? 12);
const QUIET_TICKS = 3;
/** Private memory a lean apiserver takes once it served the bench (measured ~130 MB idle), with headroom. */
const MB_PER_CLUSTER = 170;
const GITFED = fileURLToPath(new URL('../../../bin/gitfed.js', import.meta.url));
const TARGETS = { p99: 1300, quietTick: 300, rssMb: 300, noop: 1000 };

interface Row {
  clusters: number;
  upS: number;
  apiserverRssMb: number;
  apiserverPrivateMb: number;
  sandboxPrivateGb: number;
  cliFloor: number;
  cliCold: number;
  cliNoop: number;
  /** The no-op CLI's own CPU time (user + system), ms. */
  cliNoopCpu: number;
  /** Why a one-shot apply exited non-zero (its time is still printed, marked failed). */
  cliFailed?: string;
  inProcessNoop: number;
  /** Requests per cluster of the in-process no-op. */
  noopRequests: number;
  slowestCluster: string;
  slowestMs: number;
  medianClusterMs: number;
  patchFloor: number;
  p50: number;
  p99: number;
  quietTickMs: number;
  quietRequests: number;
  /** Requests of background health probes in the same window (not the tick's). */
  quietBackground: number;
  quietCpuMs: number;
  /** The quiet tick's stages (gitfed_tick_stage_duration_seconds): git, clusters, status, in ms. */
  quietStages: string;
  opRssMb: number;
  opCpuS: number;
  /** What the operator's RSS is made of, from its own /metrics: V8 heap used / total, and memory outside the heap (Buffers, TLS). */
  opHeapUsedMb: number;
  opHeapTotalMb: number;
  opExternalMb: number;
}

// Every process is stopped on the way out, also on Ctrl-C: the sandbox's
// own exit hook kills its processes, this one the operator.
let operatorChild: ChildProcess | undefined;
/** The operator's last log lines (a failed size prints its warnings and errors). */
let operatorLog = '';
process.on('exit', () => { try { operatorChild?.kill('SIGKILL'); } catch { /* gone */ } });
process.on('SIGINT', () => { console.error('interrupted: stopping everything'); process.exit(130); });

function availableMb(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : Infinity;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
}

/**
 * Writes the process's own CPU time (user + system, every thread, in ms) to
 * the file GITFED_BENCH_CPU_FILE names when it exits: what the CLI itself
 * spent, apart from the apiservers it waited for on the same cores.
 */
const CPU_AT_EXIT = 'data:text/javascript,' + encodeURIComponent(
  "import{writeFileSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();writeFileSync(process.env.GITFED_BENCH_CPU_FILE,String((u.user+u.system)/1000))})");

/** Wall time and own CPU time of one CLI run, and its last error line when it exited non-zero. */
function timeCli(args: string[], work: string): { ms: number; cpuMs: number; failed?: string } {
  const cpuFile = join(work, 'cli-cpu');
  // A run killed before its exit handler must not report the previous run's CPU.
  rmSync(cpuFile, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_AT_EXIT, GITFED, ...args], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, GITFED_BENCH_CPU_FILE: cpuFile } });
  const ms = performance.now() - t0;
  const cpuMs = Number(existsSync(cpuFile) ? readFileSync(cpuFile, 'utf8') : NaN);
  if (r.status === 0) return { ms, cpuMs };
  const last = (r.stderr || r.stdout || '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return { ms, cpuMs, failed: `gitfed ${args[0]} exited ${r.status ?? r.signal}: ${last.slice(0, 300)}` };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `gitfed run` on the sandbox's fleet repo with a webhook; resolves with its /metrics base URL once its first tick is done. */
async function startOperator(sb: Sandbox, work: string, secretFile: string, timeoutMs: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [GITFED, 'run', '--repo', sb.git.url, '--kubeconfig', sb.kubeconfig, '--listen', '127.0.0.1:0', '--webhook-secret-file', secretFile,
    '--interval', '1h', '--work-dir', join(work, 'op'), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  operatorChild = child;
  operatorLog = '';
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('gitfed run did not log its listen address')), 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gitfed run exited ${code}: ${buf.slice(-800)}`)); });
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      operatorLog = (operatorLog + d.toString()).slice(-200_000);
      const m = /"listen":"(http:\/\/[^"]+)"/.exec(buf);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
      if (buf.length > 100_000) buf = buf.slice(-10_000);
    });
  });
  await until('the operator\'s first tick', timeoutMs, async () => (await metric(url, 'gitfed_reconcile_duration_seconds_count')) >= 1);
  return { child, url };
}

/** Ticks completed; waits until one more than `before` completed and no further one follows within 300 ms. */
async function settled(url: string, before: number, timeoutMs: number): Promise<number> {
  let n = 0;
  await until('the tick after a push', timeoutMs, async () => (n = await metric(url, 'gitfed_reconcile_duration_seconds_count')) > before);
  for (;;) {
    await new Promise((r) => setTimeout(r, 300)); // a benchmark: a trailing tick must not fall into the next push's time
    const again = await metric(url, 'gitfed_reconcile_duration_seconds_count');
    if (again === n) return n;
    n = again;
  }
}

/** What measure() is doing (a failure says where). */
let phase = 'start';
/** What a size measured before a later phase failed (its row shows those, the rest n/a). */
let partial: Row | undefined;

async function measure(sb: Sandbox, clusters: number, upS: number): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'gitfed-scalebench-'));
  const clients = clusterClients(sb);
  try {
    const api = sb.apiserverPids().map((a) => a.pid);
    const apiRss = rssBytes(api) / api.length / 1048576;
    const apiPrivate = privateBytes(api) / api.length / 1048576;
    const sandboxPrivate = privateBytes(sb.pids()) / 1073741824;
    console.log(`  apiservers: ${apiserverMemory(api)}`);
    phase = 'fleet repo';
    const repo = await fleetRepo(sb, work, OBJECTS);
    const timeout = 60_000 + clusters * 2000;

    // The one-shot CLI, and where its time goes.
    phase = 'one-shot CLI';
    const version = timeCli(['--version'], work);
    if (version.failed) throw new Error(version.failed);
    const cliFloor = version.ms;
    // An apply that fails in a cluster (an apiserver too slow to answer on an
    // overloaded machine) is timed and marked, and the size goes on.
    const cold = timeCli(['apply', repo.dir, '--kubeconfig', sb.kubeconfig], work);
    const noop = timeCli(['apply', repo.dir, '--kubeconfig', sb.kubeconfig], work);
    const [cliCold, cliNoop, cliNoopCpu] = [cold.ms, noop.ms, noop.cpuMs];
    const cliFailed = [cold.failed && `cold: ${cold.failed}`, noop.failed && `no-op: ${noop.failed}`].filter(Boolean).join('; ') || undefined;
    if (cliFailed) console.log(`  one-shot apply failed: ${cliFailed}`);
    phase = 'in-process no-op and each cluster alone';
    const { fleet } = await loadFleetDir(repo.dir);
    // Timed with connecting (kubeconfig, TLS contexts), as before.
    let t0 = performance.now();
    const noopConns = await connect(sb.kubeconfig, fleet.clusters);
    const all = await reconcileFleet({ fleet, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all', connections: noopConns });
    const inProcessNoop = performance.now() - t0;
    // What the no-op asked each cluster (probe, LISTs; discovery if any).
    const noopRequests = [...noopConns.values()].reduce((n, c) => n + (c instanceof Error ? 0 : c.http.requests), 0) / fleet.clusters.length;
    closeAll(noopConns);
    const errors = all.clusters.flatMap((c) => c.errors.map((e) => `${c.cluster}: ${e}`));
    if (errors.length) console.log(`  apply errors: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (+${errors.length - 3})` : ''}`);
    // Each cluster alone (connect, discovery, observe, diff): the slowest one bounds the fan-out.
    const solo: Array<[string, number]> = [];
    for (const c of fleet.clusters) {
      const one = { ...fleet, clusters: [c] };
      const conns = await connect(sb.kubeconfig, one.clusters);
      t0 = performance.now();
      await reconcileFleet({ fleet: one, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all', connections: conns });
      solo.push([c.name, performance.now() - t0]);
      closeAll(conns);
    }
    solo.sort((a, b) => a[1] - b[1]);
    phase = 'PATCH floor';
    const floorObjs = versionedObjects(OBJECTS, 0).map((o) => o.kind === 'Namespace' ? { ...o, metadata: { name: 'bench-floor' } } : { ...o, metadata: { ...o.metadata, namespace: 'bench-floor' } });
    const perCluster = clients.map(() => floorObjs);
    const floor = await patchFloor(clients, perCluster, await floorPaths(clients, perCluster), { fieldManager: 'floor' });

    const oneShot = { cliFloor, cliCold, cliNoop, cliNoopCpu, ...(cliFailed ? { cliFailed } : {}), inProcessNoop, noopRequests, slowestCluster: solo[solo.length - 1]![0], slowestMs: solo[solo.length - 1]![1], medianClusterMs: solo[Math.floor(solo.length / 2)]![1], patchFloor: floor };
    console.log(`  one-shot apply: cold ${cliCold.toFixed(0)} ms, no-op ${cliNoop.toFixed(0)} ms, of it ${cliNoopCpu.toFixed(0)} ms of the CLI's own CPU (node + gitfed --version ${cliFloor.toFixed(0)} ms; the no-op in-process ${inProcessNoop.toFixed(0)} ms, ${noopRequests.toFixed(1)} requests per cluster; one cluster alone: median ${oneShot.medianClusterMs.toFixed(0)} ms, slowest ${oneShot.slowestCluster} ${oneShot.slowestMs.toFixed(0)} ms; raw PATCH floor ${floor.toFixed(0)} ms)`);
    partial = { clusters, upS, apiserverRssMb: apiRss, apiserverPrivateMb: apiPrivate, sandboxPrivateGb: sandboxPrivate, ...oneShot, p50: NaN, p99: NaN, quietTickMs: NaN, quietRequests: NaN, quietBackground: NaN, quietCpuMs: NaN, quietStages: 'n/a', opRssMb: NaN, opCpuS: NaN, opHeapUsedMb: NaN, opHeapTotalMb: NaN, opExternalMb: NaN };
    phase = 'operator and pushes';
    // The operator, fed by a webhook.
    const secretFile = join(work, 'webhook-secret');
    await writeFile(secretFile, 'bench\n');
    const op = await startOperator(sb, work, secretFile, timeout);
    let ticks = await settled(op.url, 0, timeout);
    const cpuBefore = cpuSeconds(op.child.pid!);
    const latencies: number[] = [];
    const watch = await AppliedWatch.open(clients, timeout);
    try {
      for (let v = 1; v <= PUSHES; v++) {
        repo.commit(v);
        t0 = performance.now();
        repo.push();
        await sendWebhook(op.url, 'bench', repo.head());
        latencies.push(await watch.applied(v, t0, timeout));
        ticks = await settled(op.url, ticks, timeout);
      }
    } finally { watch.close(); }
    latencies.sort((a, b) => a - b);
    // Quiet ticks: nothing new in git, nothing drifted.
    const quiet: Array<{ ms: number; requests: number; background: number; cpuMs: number; stages: number[] }> = [];
    const STAGES = ['git', 'clusters', 'status'];
    const stageSums = () => Promise.all(STAGES.map((s) => metric(op.url, `gitfed_tick_stage_duration_seconds_sum\\{stage="${s}"\\}`)));
    // Both request counters move together at the end of a tick: their difference is what the tick sent.
    const BACKGROUND = 'gitfed_health_probe_requests_total\\{by="background"\\}';
    for (let i = 0; i < QUIET_TICKS; i++) {
      const [sum0, req0, bg0, cpu0, stages0] = [await metric(op.url, 'gitfed_reconcile_duration_seconds_sum'), await metric(op.url, 'gitfed_member_requests_total'), await metric(op.url, BACKGROUND), cpuSeconds(op.child.pid!), await stageSums()];
      await sendWebhook(op.url, 'bench', repo.head());
      ticks = await settled(op.url, ticks, timeout);
      const background = (await metric(op.url, BACKGROUND)) - bg0;
      quiet.push({ ms: ((await metric(op.url, 'gitfed_reconcile_duration_seconds_sum')) - sum0) * 1000, requests: (await metric(op.url, 'gitfed_member_requests_total')) - req0 - background, background, cpuMs: (cpuSeconds(op.child.pid!) - cpu0) * 1000, stages: (await stageSums()).map((v, k) => (v - stages0[k]!) * 1000) });
    }
    quiet.sort((a, b) => a.ms - b.ms);
    const q = quiet[Math.floor(quiet.length / 2)]!;
    const opRss = rssBytes([op.child.pid!]) / 1048576;
    const [heapUsed, heapTotal, external] = await Promise.all(['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes'].map(async (n) => (await metric(op.url, n)) / 1048576));
    const opCpu = cpuSeconds(op.child.pid!) - cpuBefore;
    await stopProcess(op.child.pid!, 10_000);
    operatorChild = undefined;
    return {
      clusters, upS, apiserverRssMb: apiRss, apiserverPrivateMb: apiPrivate, sandboxPrivateGb: sandboxPrivate,
      ...oneShot,
      p50: percentile(latencies, 50), p99: percentile(latencies, 99), quietTickMs: q.ms, quietRequests: q.requests, quietBackground: q.background, quietCpuMs: q.cpuMs, quietStages: STAGES.map((st, k) => `${st} ${q.stages[k]!.toFixed(0)}`).join(', '), opRssMb: opRss, opCpuS: opCpu,
      opHeapUsedMb: heapUsed!, opHeapTotalMb: heapTotal!, opExternalMb: external!,
    };
  } finally {
    if (operatorChild) { await stopProcess(operatorChild.pid!, 2000).catch(() => undefined); operatorChild = undefined; }
    clients.forEach((h) => h.close());
    await rm(work, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
console.log(`scale bench: sizes ${SIZES.join(', ')}; ${OBJECTS} objects per cluster; ${PUSHES} pushes; lean sandboxes without controllers`);
for (const clusters of SIZES) {
  const need = clusters * MB_PER_CLUSTER + 1024;
  const have = availableMb();
  if (have < need) {
    console.log(`${clusters} clusters: not started: needs about ${(need / 1024).toFixed(1)} GB, ${(have / 1024).toFixed(1)} GB available; stopping here`);
    break;
  }
  console.log(`${clusters} clusters:`);
  const t0 = performance.now();
  let sb: Sandbox;
  try {
    sb = await startSandbox({ clusters, controllers: false, lean: true, log: (l) => console.error(`  ${l}`) });
  } catch (e) {
    console.log(`  sandbox did not start: ${(e as Error).message.split('\n')[0]}; stopping here`);
    break;
  }
  const upS = (performance.now() - t0) / 1000;
  console.log(`  sandbox up in ${upS.toFixed(1)} s`);
  try {
    const r = await measure(sb, clusters, upS);
    rows.push(r);
    console.log(`  push -> applied p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms; quiet tick ${r.quietTickMs.toFixed(0)} ms, ${r.quietRequests} requests (and ${r.quietBackground} of background health probes meanwhile), ${r.quietCpuMs.toFixed(0)} ms CPU (stages in ms: ${r.quietStages}); operator RSS ${r.opRssMb.toFixed(0)} MB, ${r.opCpuS.toFixed(1)} s CPU over the pushes`);
  } catch (e) {
    // The clusters that lacked a version, by name (AppliedWatch names their servers).
    const lacking = sb.clusters.filter((c) => (e as Error).message.includes(`${c.server} has`)).map((c) => c.name);
    console.log(`  failed during ${phase}: ${(e as Error).message.split('\n')[0]}${lacking.length ? ` [${lacking.join(', ')}]` : ''}`);
    if (phase === 'operator and pushes') {
      // Why: the operator's own warnings and errors (JSON lines), the last few.
      const said = operatorLog.split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).slice(-5);
      for (const l of said) console.log(`    operator: ${l.slice(0, 400)}`);
      // And what it said last, about the clusters that lacked the version and in general.
      const about = operatorLog.split('\n').filter((l) => lacking.some((n) => l.includes(`"${n}"`))).slice(-5);
      for (const l of [...about, ...operatorLog.split('\n').filter(Boolean).slice(-5)]) console.log(`    operator: ${l.slice(0, 400)}`);
    }
    if (partial?.clusters === clusters) rows.push(partial);
  } finally {
    await sb.stop();
  }
}

if (rows.length) {
  const t = (x: number, target: number | undefined, r: Row) => (Number.isNaN(x) ? 'n/a' : `${x.toFixed(0)}${target !== undefined && r.clusters >= 100 ? ` (<= ${target})` : ''}`);
  console.log('\n| clusters | sandbox up s | apiserver RSS / private MB | push->applied p50 / p99 ms | quiet tick ms / requests | operator RSS MB / CPU s | one-shot cold / no-op ms | no-op CLI CPU ms | no-op in-process ms / requests per cluster | slowest cluster alone ms | PATCH floor ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.clusters} | ${r.upS.toFixed(0)} | ${r.apiserverRssMb.toFixed(0)} / ${r.apiserverPrivateMb.toFixed(0)} | ${t(r.p50, undefined, r)} / ${t(r.p99, TARGETS.p99, r)} | ${t(r.quietTickMs, TARGETS.quietTick, r)} / ${t(r.quietRequests, undefined, r)} | ${t(r.opRssMb, TARGETS.rssMb, r)} / ${Number.isNaN(r.opCpuS) ? 'n/a' : r.opCpuS.toFixed(1)} | ${r.cliCold.toFixed(0)} / ${t(r.cliNoop, TARGETS.noop, r)}${r.cliFailed ? ' (failed)' : ''} | ${r.cliNoopCpu.toFixed(0)} | ${r.inProcessNoop.toFixed(0)} / ${r.noopRequests.toFixed(0)} | ${r.slowestMs.toFixed(0)} | ${r.patchFloor.toFixed(0)} |`);
  }
  console.log(`operator memory: ${rows.map((r) => `${r.clusters} clusters: RSS ${r.opRssMb.toFixed(0)} MB = V8 heap ${r.opHeapTotalMb.toFixed(0)} MB (${r.opHeapUsedMb.toFixed(0)} used) + external ${r.opExternalMb.toFixed(0)} MB + the rest ${(r.opRssMb - r.opHeapTotalMb - r.opExternalMb).toFixed(0)} MB (code, TLS, stacks)`).join('; ')}`);
  console.log(`(targets at 100 clusters in parentheses; all sandbox processes together: ${rows.map((r) => `${r.clusters}: ${r.sandboxPrivateGb.toFixed(1)} GB private`).join(', ')})`);
}
