// Benchmark (issue 6): push -> applied-everywhere latency with a webhook
// trigger (10 clusters x 50 objects; target p50 <= 1 s), and the time to
// write a status commit over a 2,000-file status tree (target <= 1 s).
// Prints numbers; asserts nothing.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { StatusWriter } from '../../operator/git/status-writer.js';
import { startHttpServer } from '../../operator/loop/http-server.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { gitEnds } from '../../operator/loop/sources.js';
import { startSandbox } from '../../operator/sandbox/index.js';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 10);
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' };
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'pipe', encoding: 'utf8' });

const sb = await startSandbox({ clusters: CLUSTERS, controllers: false });
const work = await mkdtemp(join(tmpdir(), 'gitfed-opbench-'));
try {
  const src = join(work, 'src');
  sh(work, 'init', '-q', '-b', 'main', src);
  await mkdir(join(src, 'clusters'));
  await mkdir(join(src, 'manifests'));
  await writeFile(join(src, 'clusters', 'all.yaml'), sb.clusters.map((c) => stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c.name }, spec: { provider: 'other' } })).join('---\n'));
  const manifests = (version: number) => [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
    ...Array.from({ length: 49 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'bench' }, data: { version: String(i === 0 ? version : 0) } }))].map((o) => stringify(o)).join('---\n');
  await writeFile(join(src, 'manifests', 'all.yaml'), manifests(0));
  sh(src, 'add', '.');
  sh(src, 'commit', '-q', '-m', 'v0');
  sh(src, 'push', '-q', sb.git.url, 'main');

  const secret = 'bench';
  const ends = gitEnds({ url: sb.git.url, branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, 'op'), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  const op = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics() });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, webhookSecret: secret, metrics: new Metrics(), ready: () => true, onPush: () => void op.trigger('webhook') });
  await op.tick('start');
  const clients = sb.clusters.map((c) => new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }));
  const latencies: number[] = [];
  for (let v = 1; v <= 7; v++) {
    await writeFile(join(src, 'manifests', 'all.yaml'), manifests(v));
    sh(src, 'commit', '-q', '-am', `v${v}`);
    const t0 = performance.now();
    sh(src, 'push', '-q', sb.git.url, 'main');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    await fetch(`${http.url}/webhook`, { method: 'POST', body, headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` } });
    for (;;) {
      const seen = await Promise.all(clients.map(async (h) => (await h.request<any>({ path: '/api/v1/namespaces/bench/configmaps/cm-0' })).body?.data?.version));
      if (seen.every((x) => x === String(v))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    latencies.push(performance.now() - t0);
    await op.idle();
  }
  latencies.sort((a, b) => a - b);
  console.log(`operator bench: ${CLUSTERS} clusters x 50 objects, push -> applied everywhere (webhook): p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(0)} ms, max ${latencies[latencies.length - 1]!.toFixed(0)} ms over ${latencies.length} pushes (target p50 <= 1000 ms)`);
  clients.forEach((h) => h.close());
  await http.close();
  op.close();

  const writer = new StatusWriter({ dir: join(work, 'status'), url: sb.git.url, branch: 'gitfed/big-status', author: { name: 'gitfed', email: 'gitfed@localhost' } });
  const files = new Map<string, string>();
  for (let i = 0; i < 2000; i++) files.set(`ingresses/ns-${i % 40}/ing-${i}.yaml`, stringify({ name: `ing-${i}`, addresses: ['203.0.113.1'], shards: sb.clusters.map((c) => ({ cluster: c.name, ready: i % 7 })) }));
  let t0 = performance.now();
  await writer.write(files, 'status: first');
  const first = performance.now() - t0;
  files.set('ingresses/ns-0/ing-0.yaml', 'changed: true\n');
  t0 = performance.now();
  await writer.write(files, 'status: one file changed');
  const second = performance.now() - t0;
  const restarted = new StatusWriter({ dir: join(work, 'status'), url: sb.git.url, branch: 'gitfed/big-status', author: { name: 'gitfed', email: 'gitfed@localhost' } });
  files.set('ingresses/ns-1/ing-1.yaml', 'changed: again\n');
  t0 = performance.now();
  await restarted.write(files, 'status: after a restart');
  const third = performance.now() - t0;
  console.log(`status commit over a 2,000-file tree: one file changed ${second.toFixed(0)} ms; the same after an operator restart ${third.toFixed(0)} ms (target <= 1000 ms); the very first commit of a new 2,000-file tree ${first.toFixed(0)} ms`);
} finally {
  await sb.stop();
  await rm(work, { recursive: true, force: true });
}
