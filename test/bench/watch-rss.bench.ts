// Benchmark (issue 10, item 14): memory of the operator watching a cluster
// full of Pods it does not own. One sandbox cluster without controllers (so
// nothing schedules: every Pod stays Pending, the worst case for a cache of
// Pending Pods), 10,000 Pods created directly, and `gitfed run` started as its
// own process: its RSS after the first tick, and the objects its watch caches
// hold (from /metrics). Prints numbers; asserts nothing.
//
// BENCH_WATCH_PODS (default 10000) changes the Pod count; BENCH_WATCH_BASELINE
// names another build's bin/gitfed.js to print its numbers alongside (e.g. a
// checkout of the commit before the change).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { startSandbox } from '../../operator/sandbox/index.js';
import { rssBytes } from '../../operator/sandbox/supervisor.js';

const PODS = Number(process.env.BENCH_WATCH_PODS ?? 10_000);
const here = dirname(fileURLToPath(import.meta.url));
const gitfedBin = resolve(here, '..', '..', '..', 'bin', 'gitfed.js');
const MB = 1024 * 1024;

interface Measured { rssMb: number; cacheObjects: string }

/** Start `gitfed run` on the fleet, wait for its first tick, read its RSS and /metrics, stop it. */
async function measure(bin: string, fleet: string, kubeconfig: string): Promise<Measured> {
  const child: ChildProcess = spawn(process.execPath, [bin, 'run', '--dir', fleet, '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', '--interval', '1h', '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise<string>((res, rej) => {
      let buf = '';
      child.stderr!.on('data', (c: Buffer) => {
        buf += c.toString();
        const m = /"listen":"(http:\/\/[^"]+)"/.exec(buf);
        if (m) res(m[1]!);
      });
      child.on('exit', (code) => rej(new Error(`gitfed run exited with ${code}: ${buf.slice(-500)}`)));
    });
    let metrics = '';
    for (const until = Date.now() + 180_000; Date.now() < until;) {
      metrics = await (await fetch(`${url}/metrics`)).text();
      const m = /gitfed_reconcile_duration_seconds_count (\d+)/.exec(metrics);
      if (m && Number(m[1]) >= 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 2000)); // let the watches settle after the first tick
    metrics = await (await fetch(`${url}/metrics`)).text();
    const objects = /gitfed_watch_cache_objects\{[^}]*\} (\d+)/.exec(metrics)?.[1];
    return { rssMb: rssBytes([child.pid!]) / MB, cacheObjects: objects ?? 'n/a (this build has no such metric)' };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => { if (child.exitCode !== null) r(undefined); else child.on('exit', r); });
  }
}

async function createPods(http: KubeHttp, ns: string, n: number): Promise<void> {
  for (const [path, body] of [['/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }], [`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }]] as const) {
    const r = await http.request({ method: 'POST', path, body });
    if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < n) {
      const i = next++;
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `noise-${i}`, labels: { app: 'not-gitfed', shard: String(i % 100) } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } };
      const r = await http.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body: pod });
      if (r.status !== 201) throw new Error(`POST pod ${i}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    }
  }));
}

const sb = await startSandbox({ clusters: 1, controllers: false });
const work = await mkdtemp(join(tmpdir(), 'gitfed-watchbench-'));
const c = sb.clusters[0]!;
const http = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }, 30_000);
try {
  const fleet = join(work, 'fleet');
  await mkdir(join(fleet, 'clusters'), { recursive: true });
  await mkdir(join(fleet, 'manifests'), { recursive: true });
  await writeFile(join(fleet, 'clusters', 'c.yaml'), stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c.name }, spec: { provider: 'other' } }));
  await writeFile(join(fleet, 'manifests', 'app.yaml'), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'app' }, data: { a: '1' } }].map((o) => stringify(o)).join('---\n'));
  const builds: Array<[string, string]> = [['this build', gitfedBin], ...(process.env.BENCH_WATCH_BASELINE ? [['baseline', resolve(process.env.BENCH_WATCH_BASELINE)] as [string, string]] : [])];

  const empty = new Map<string, Measured>();
  for (const [name, bin] of builds) empty.set(name, await measure(bin, fleet, sb.kubeconfig));
  const t0 = Date.now();
  await createPods(http, 'noise', PODS);
  console.log(`created ${PODS} Pods gitfed does not own (all Pending: no scheduler) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const [name, bin] of builds) {
    const full = await measure(bin, fleet, sb.kubeconfig);
    const e = empty.get(name)!;
    console.log(`operator (${name}): RSS ${e.rssMb.toFixed(0)} MB with no foreign Pods, ${full.rssMb.toFixed(0)} MB with ${PODS} (${full.rssMb >= e.rssMb ? '+' : ''}${(full.rssMb - e.rssMb).toFixed(0)} MB); watch cache objects ${e.cacheObjects} -> ${full.cacheObjects}`);
  }
} finally {
  http.close();
  await sb.stop();
  await rm(work, { recursive: true, force: true });
}
