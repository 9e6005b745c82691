// The operator on a real sandbox and a real git server: push -> applied ->
// status commit; quiet ticks stay quiet; broken revisions are not applied;
// Offline clusters show up in status; races, git outages, webhooks, leader
// election and a SIGKILL mid-apply.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { StatusWriter } from '../../operator/git/status-writer.js';
import { startHttpServer } from '../../operator/loop/http-server.js';
import { LeaderElector } from '../../operator/loop/leader-election.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import type { OperatorOptions } from '../../operator/loop/operator-types.js';
import { gitEnds } from '../../operator/loop/sources.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { startGitRequestLog, type GitRequestLog } from '../helpers/git-request-log.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { admin, CLUSTERS, fleetRepo as makeFleetRepo, replicas, sh, statusFile as readStatusFile, statusLog as readStatusLog, type FleetRepo } from '../helpers/fleet-repo.js';
import { stringify } from 'yaml';

const work = await mkdtemp(join(tmpdir(), 'gitfed-op-'));
after(() => rm(work, { recursive: true, force: true }));
const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };
const fleetRepo = (sb: Sandbox, name: string, ns: string, replicas = 6) => makeFleetRepo(sb, work, name, ns, { replicas });
const statusLog = (url: string) => readStatusLog(work, url);
const statusFile = (url: string, path: string) => readStatusFile(work, url, path);

function operatorFor(sb: Sandbox, url: string, id: string, extra: Partial<OperatorOptions> = {}): Operator {
  const ends = gitEnds({ url, branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, `${id}-op`), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  return new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), probeTimeoutMs: 2000, ...extra });
}

/** A fresh fleet repo and an operator for it, closed after the test body. With `gitLog`, the operator reaches git through a proxy that writes down each request. */
async function withOperator(name: string, body: (t: { sb: Sandbox; ns: string; repo: FleetRepo; op: Operator; gitLog: GitRequestLog | undefined }) => Promise<void>, extra: Partial<OperatorOptions> = {}, opts: { gitLog?: boolean } = {}): Promise<void> {
  const sb = await sandbox();
  const ns = uniqueNamespace(name);
  const repo = await fleetRepo(sb, `op-${name}`, ns);
  const gitLog = opts.gitLog ? await startGitRequestLog(repo.url) : undefined;
  const op = operatorFor(sb, gitLog?.url ?? repo.url, name, extra);
  try {
    await body({ sb, ns, repo, op, gitLog });
  } finally {
    op.close();
    await gitLog?.close();
  }
}

/** Every shard of Ingress web reports all its endpoints ready: the last thing that changes after an apply. */
const allReady = (ingress: any, n: number) => ingress.shards.length === CLUSTERS.length && ingress.shards.every((x: any) => x.endpoints.ready === n && x.endpoints.total === n);

test('operator: a push is applied in all clusters and a status commit says so; quiet ticks make no commit, no writes and no request to a cluster, and ask git only where two branches point', () => withOperator('basic', async ({ sb, ns, repo, op, gitLog }) => {
  const first = await op.tick();
  assert.equal(first.applied, true);
  assert.deepEqual(await replicas(sb, ns), [2, 2, 2]);
  const head = sh(repo.clone, 'rev-parse', '--short=7', 'HEAD').trim();
  assert.equal(statusLog(repo.url)[0], `status: ${head} applied to 3/3 clusters`);
  const clusters = statusFile(repo.url, 'clusters.yaml');
  assert.deepEqual(clusters.clusters.map((c: any) => [c.name, c.health, c.sync.inSync]), [['us-east1', 'Ready', 5], ['europe-west1', 'Ready', 5], ['asia-east1', 'Ready', 5]]);
  assert.ok(statusFile(repo.url, `ingresses/${ns}/web.yaml`).shards.length === 3);
  // Wait until a status shows every Pod Ready (the last thing that changes
  // after an apply); from then on nothing changes, so a tick must be quiet.
  await waitUntil('pods ready in the status', 60_000, async () => { await op.tick(); return allReady(statusFile(repo.url, `ingresses/${ns}/web.yaml`), 2) || undefined; });
  const commits = statusLog(repo.url).length;
  const writes = op.writes();
  const requests = op.requests();
  // Where a tick's time goes: each of its three stages is timed once per tick.
  const stageCounts = async () => Object.fromEntries((await op.opts.metrics.tickStageDuration.get()).values
    .filter((v) => v.metricName === 'gitfed_tick_stage_duration_seconds_count').map((v) => [v.labels.stage, v.value]));
  const before = await stageCounts();
  gitLog!.requests.length = 0;
  const quiet = await op.tick();
  const after = await stageCounts();
  assert.deepEqual(Object.keys(after).sort(), ['clusters', 'git', 'status']);
  for (const stage of ['git', 'clusters', 'status']) assert.equal(after[stage]! - before[stage]!, 1, `the ${stage} stage is timed once in a tick`);
  assert.equal(quiet.statusCommitted, false);
  assert.equal(statusLog(repo.url).length, commits, 'no new status commit');
  assert.equal(op.writes(), writes, 'no write to any cluster');
  // Watch caches answer the LISTs and the health monitor's last verdict the
  // health question (its background probes are an hour apart here).
  assert.equal(op.requests(), requests, 'a quiet tick sends no request to any cluster');
  // Git: one ref advertisement for the fleet branch, one for the status
  // branch; both point at commits the operator holds, so nothing is fetched.
  const repoPath = new URL(repo.url).pathname;
  assert.deepEqual(gitLog!.requests, [`GET ${repoPath}/info/refs?service=git-upload-pack`, `GET ${repoPath}/info/refs?service=git-upload-pack`]);
  // A push is fetched again (and applied) through the same proxy.
  gitLog!.requests.length = 0;
  repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 9'), 'nine');
  assert.equal((await op.tick()).applied, true);
  assert.deepEqual(await replicas(sb, ns), [3, 3, 3]);
  const fetchPost = `POST ${repoPath}/git-upload-pack`;
  const advertisementsBeforeFetch = () => gitLog!.requests.slice(0, gitLog!.requests.indexOf(fetchPost)).length;
  assert.ok(gitLog!.requests.includes(fetchPost), gitLog!.requests.join('\n'));
  assert.equal(advertisementsBeforeFetch(), 2, `an interval tick asks where the branch points, then fetches: ${gitLog!.requests.join(', ')}`);
  // A webhook says the branch moved: the fetch starts at once (its own ref
  // advertisement answers where the branch points), one request less.
  gitLog!.requests.length = 0;
  repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 9', 'replicas: 12'), 'twelve');
  const pushed = sh(repo.clone, 'rev-parse', 'HEAD').trim();
  assert.equal((await op.tick('webhook', undefined, { after: pushed })).applied, true);
  assert.deepEqual(await replicas(sb, ns), [4, 4, 4]);
  assert.equal(advertisementsBeforeFetch(), 1, `a webhook tick fetches at once: ${gitLog!.requests.join(', ')}`);
  // The same webhook again (a redelivery): the commit it names is here, so
  // the tick only asks where the branch points and fetches nothing.
  gitLog!.requests.length = 0;
  assert.equal((await op.tick('webhook', undefined, { after: pushed })).applied, false);
  assert.ok(!gitLog!.requests.includes(fetchPost), `nothing fetched: ${gitLog!.requests.join(', ')}`);
}, { healthIntervalMs: 3_600_000 }, { gitLog: true }));

test('operator: a branch force-pushed back to a commit the operator already holds is applied again, with no fetch (it asks only where the branch points)', () => withOperator('reset', async ({ sb, ns, repo, op, gitLog }) => {
  const first = (await op.tick()).revision!;
  assert.deepEqual(await replicas(sb, ns), [2, 2, 2]);
  const second = repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 9'), 'nine');
  assert.equal((await op.tick()).revision, second);
  assert.deepEqual(await replicas(sb, ns), [3, 3, 3]);
  sh(repo.clone, 'reset', '-q', '--hard', first);
  sh(repo.clone, 'push', '-q', '--force', repo.url, 'main');
  gitLog!.requests.length = 0;
  const back = await op.tick();
  assert.equal(back.revision, first);
  assert.equal(back.applied, true);
  assert.deepEqual(await replicas(sb, ns), [2, 2, 2], 'the earlier revision is applied again');
  assert.ok(!gitLog!.requests.some((r) => r.endsWith('/git-upload-pack')), `nothing fetched: ${gitLog!.requests.join(', ')}`);
}, {}, { gitLog: true }));

test('operator: broken YAML is not applied; the status commit names file:line; the previous revision stays', () => withOperator('broken', async ({ sb, ns, repo, op }) => {
  const good = (await op.tick()).revision!;
  const bad = repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: [12') , 'oops');
  const r = await op.tick();
  assert.equal(r.applied, false);
  const subject = statusLog(repo.url)[0]!;
  assert.match(subject, new RegExp(`^status: ${bad.slice(0, 7)} not applied: manifests/app\\.yaml:\\d+:\\d+: error: .*; ${good.slice(0, 7)} stays applied$`));
  const errors = statusFile(repo.url, 'errors.yaml');
  assert.match(errors.errors[0].where, /^manifests\/app\.yaml:\d+:\d+$/);
  assert.deepEqual(await replicas(sb, ns), [2, 2, 2], 'clusters keep the previous revision');
}));

test('operator: a killed cluster shows as Offline in the next status commit and its replicas move', () => withOperator('offline', async ({ sb, ns, repo, op }) => {
  await op.tick();
  await sb.faults.killApiserver('europe-west1');
  try {
    await op.tick();
    assert.match(statusLog(repo.url)[0]!, /applied to 2\/3 clusters \(europe-west1 Offline\)$/);
    assert.deepEqual(await replicas(sb, ns, ['us-east1', 'asia-east1']), [3, 3], 'europe-west1\'s share moved');
  } finally {
    await sb.faults.startApiserver('europe-west1');
  }
  // It counts again once a tick sees it Ready (its connection and watches are re-established first).
  await waitUntil('europe-west1 Ready again', 60_000, async () => { await op.tick(); return /applied to 3\/3 clusters$/.test(statusLog(repo.url)[0]!) || undefined; });
  assert.deepEqual(await replicas(sb, ns), [2, 2, 2], 'rebalanced when it returned');
}));

test('operator: a cluster Offline on the operator\'s first tick gets the revision on the first tick that sees it Ready, without a push', () => withOperator('offline-first', async ({ sb, ns, repo, op }) => {
  await sb.faults.killApiserver('europe-west1');
  try {
    assert.equal((await op.tick()).applied, true);
    assert.match(statusLog(repo.url)[0]!, /applied to 2\/3 clusters \(europe-west1 Offline\)$/);
  } finally {
    await sb.faults.startApiserver('europe-west1');
  }
  // Every tick from here is a heal pass (nothing new in Git): europe-west1 was never applied, so it gets everything.
  await waitUntil('europe-west1 applied', 60_000, async () => { await op.tick(); return /applied to 3\/3 clusters$/.test(statusLog(repo.url)[0]!) || undefined; });
  assert.deepEqual(await replicas(sb, ns), [2, 2, 2]);
}));

test('operator run: a cluster that dies is found by the background health probe; with no push and no interval tick a status commit says Offline, and Ready again once it returns', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('health');
  const repo = await fleetRepo(sb, 'op-health', ns);
  let logs = '';
  // An hour-long interval and no webhook: only the health probes can start the ticks that follow.
  const child = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1h', '--health-interval', '1s',
    '--listen', '127.0.0.1:0', '--work-dir', join(work, 'health-op'), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => { logs += d; });
  const changes = () => logs.split('\n').filter((l) => l.includes('"msg":"cluster health changed"')).map((l) => JSON.parse(l)).map((l) => `${l.cluster} ${l.from}->${l.to}`);
  try {
    await waitUntil('the first status commit', 60_000, async () => statusLog(repo.url)[0]?.endsWith('applied to 3/3 clusters') || undefined, 250);
    assert.deepEqual(changes(), [], 'no verdict changed while every cluster was up');
    await sb.faults.killApiserver('europe-west1');
    try {
      await waitUntil('a status commit that says europe-west1 is Offline', 30_000, async () => /applied to 2\/3 clusters \(europe-west1 Offline\)$/.test(statusLog(repo.url)[0]!) || undefined, 250);
      assert.deepEqual(changes(), ['europe-west1 Ready->Offline']);
      const url = /"listen":"(http:[^"]+)"/.exec(logs)![1]!;
      const probes = /^gitfed_health_probe_requests_total\{by="background"\} (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text());
      assert.ok(Number(probes?.[1]) > 0, 'the background probes are counted apart from the ticks\' requests');
      await waitUntil('europe-west1\'s share moved', 30_000, async () => JSON.stringify(await replicas(sb, ns, ['us-east1', 'asia-east1'])) === '[3,3]' || undefined, 250);
    } finally {
      await sb.faults.startApiserver('europe-west1');
    }
    await waitUntil('a status commit that says 3/3 again', 90_000, async () => statusLog(repo.url)[0]?.endsWith('applied to 3/3 clusters') || undefined, 250);
    // A starting apiserver may answer NotReady before Ready: only the ends are certain.
    const seen = changes();
    assert.equal(seen[0], 'europe-west1 Ready->Offline');
    assert.match(seen.at(-1)!, /^europe-west1 \w+->Ready$/);
    assert.ok(seen.every((c) => c.startsWith('europe-west1 ')), seen.join(', '));
    await waitUntil('rebalanced when it returned', 30_000, async () => JSON.stringify(await replicas(sb, ns)) === '[2,2,2]' || undefined, 250);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
});

test('status writer: a push that races a concurrent commit is retried on top of it; exactly one status commit lands', async () => {
  const sb = await sandbox();
  const url = await sb.git.createRepo('race');
  const src = join(work, 'race-src');
  sh(work, 'init', '-q', '-b', 'main', src);
  sh(src, 'commit', '-q', '--allow-empty', '-m', 'fleet');
  sh(src, 'push', '-q', url, 'main');
  const author = { name: 'gitfed', email: 'gitfed@localhost' };
  const other = new StatusWriter({ dir: join(work, 'race-b'), url, branch: 'gitfed/status', author });
  await other.write(new Map([['README.md', 'first\n']]), 'status: first');
  let raced = false;
  const writer = new StatusWriter({
    dir: join(work, 'race-a'), url, branch: 'gitfed/status', author,
    beforePush: async () => { if (!raced) { raced = true; await other.write(new Map([['README.md', 'concurrent\n']]), 'status: concurrent'); } },
  });
  const r = await writer.write(new Map([['README.md', 'mine\n']]), 'status: mine');
  assert.equal(r.committed, true);
  assert.equal(r.attempts, 2, 'first push was rejected, second landed');
  assert.deepEqual(statusLog(url), ['status: mine', 'status: concurrent', 'status: first']);
});

test('operator: with the git server down it retries, then recovers without a restart', () => withOperator('gitdown', async ({ sb, ns, repo, op }) => {
  await op.tick();
  const before = statusLog(repo.url).length;
  await sb.git.stop();
  try {
    const r = await op.tick();
    assert.equal(r.statusCommitted, false);
    assert.ok((await op.opts.metrics.gitErrors.get()).values.reduce((n, v) => n + v.value, 0) > 0, 'git errors are counted');
  } finally {
    await sb.git.start();
  }
  repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 9'), 'scale');
  const r = await op.tick();
  assert.equal(r.applied, true);
  assert.ok(statusLog(repo.url).length > before);
  assert.deepEqual(await replicas(sb, ns), [3, 3, 3]);
}));

test('webhook: good signatures trigger a fetch; bad ones get 401 and oversized bodies 413, and trigger nothing', async () => {
  const pushes: string[] = [];
  const secret = 'hook-secret';
  const srv = await startHttpServer({ host: '127.0.0.1', port: 0, webhookSecret: secret, maxBodyBytes: 4096, metrics: new Metrics(), ready: () => true, onPush: (p) => pushes.push(p) });
  try {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sig = createHmac('sha256', secret).update(body).digest('hex');
    const post = (headers: Record<string, string>, b = body) => fetch(`${srv.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
    assert.equal((await post({ 'x-hub-signature-256': `sha256=${sig}` })).status, 202);
    assert.equal((await post({ 'x-gitea-signature': sig })).status, 202);
    assert.equal((await post({ 'x-gitlab-token': secret })).status, 202);
    assert.deepEqual(pushes, ['github', 'gitea', 'gitlab']);
    assert.equal((await post({ 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) })).status, 401);
    assert.equal((await post({ 'x-gitlab-token': 'wrong' })).status, 401);
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ 'x-hub-signature-256': `sha256=${sig}` }, 'x'.repeat(10_000))).status, 413);
    assert.equal(pushes.length, 3, 'nothing else triggered');
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
    assert.match(await (await fetch(`${srv.url}/metrics`)).text(), /gitfed_reconcile_duration_seconds/);
  } finally {
    await srv.close();
  }
});

test('leader election: only one of two candidates leads; when the leader dies the other takes over within the lease', async () => {
  const sb = await sandbox();
  const c = sb.clusters[0]!;
  const httpA = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  const httpB = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  const name = uniqueNamespace('lease');
  const a = new LeaderElector({ http: httpA, namespace: 'default', name, identity: 'a', durationSeconds: 2 });
  const b = new LeaderElector({ http: httpB, namespace: 'default', name, identity: 'b', durationSeconds: 2 });
  assert.equal(await a.tryAcquire(), true);
  assert.equal(await b.tryAcquire(), false);
  assert.equal(await a.tryAcquire(), true, 'renewal');
  const t0 = Date.now();
  // a dies without giving the lease up: b must wait for it to expire, then win.
  const took = await waitUntil('b takes over', 10_000, async () => (await b.tryAcquire()) || undefined, 250);
  assert.equal(took, true);
  assert.ok(Date.now() - t0 < 5000, 'failover within about the lease duration');
  assert.equal(await a.tryAcquire(), false, 'the old leader does not win it back');
  httpA.close();
  httpB.close();
});

test('operator: after SIGKILL mid-apply a restart converges with no duplicates', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('kill');
  const repo = await fleetRepo(sb, 'op-kill', ns, 12);
  const args = ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0', '--work-dir', join(work, 'kill-op'), '--log-format', 'json'];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  // Kill it mid-apply: as soon as its first object exists in some cluster.
  const started = async () => (await Promise.all(sb.clusters.map(async (c) => { const h = admin(sb, c.name); try { return (await h.request({ path: `/api/v1/namespaces/${ns}` })).status === 200; } finally { h.close(); } }))).some(Boolean);
  await waitUntil('the apply started', 30_000, async () => (await started()) || undefined, 20);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // A request the dead process sent can still be running in an apiserver
  // (a Service create that holds its node port until it commits): the
  // restart then races a client that no longer exists. Wait until the
  // namespace's objects stop changing in every cluster, i.e. those requests landed.
  const snapshot = async () => (await Promise.all(sb.clusters.map(async (c) => {
    const h = admin(sb, c.name);
    try {
      const lists = await Promise.all([`/api/v1/namespaces/${ns}/services`, `/apis/apps/v1/namespaces/${ns}/deployments`].map((p) => h.request<any>({ path: p })));
      return lists.flatMap((l) => (l.body?.items ?? []).map((o: any) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`)).sort().join(',');
    } finally { h.close(); }
  }))).join(' | ');
  let last = await snapshot();
  await waitUntil('the killed operator\'s last requests landed', 30_000, async () => { const now = await snapshot(); const same = now === last; last = now; return same || undefined; }, 250);
  // A request the dead process sent may also have reserved a node port in the
  // apiserver and never created its Service: the apiserver then answers
  // "provided port is already allocated" until its own repair loop frees the
  // port, up to 9 minutes later. The restart must not wait for that: it takes
  // the refusal as an observation and moves the Service to a port free everywhere.
  const once = spawn(process.execPath, [...args, '--once'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  once.stderr.on('data', (d) => { logs += d; });
  const code = await new Promise((r) => once.once('exit', r));
  assert.equal(code, 0, `the restarted operator's log:\n${logs}`);
  assert.deepEqual(await replicas(sb, ns), [4, 4, 4]);
  const nodePorts = new Set<number>();
  for (const c of sb.clusters) {
    const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
    try {
      const deps = (await h.request<any>({ path: `/apis/apps/v1/namespaces/${ns}/deployments` })).body.items;
      assert.equal(deps.length, 1, 'no duplicate objects');
      nodePorts.add((await h.request<any>({ path: `/api/v1/namespaces/${ns}/services/web` })).body.spec.ports[0].nodePort);
    } finally { h.close(); }
  }
  assert.equal(nodePorts.size, 1, `one node port in every cluster: ${[...nodePorts]}`);
});

test('leader election: of two operators only the leader writes; kill it and the other takes over', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('ha');
  const repo = await fleetRepo(sb, 'op-ha', ns);
  const lease = uniqueNamespace('gitfed');
  const logs: Record<string, string> = { a: '', b: '' };
  const start = (id: string) => {
    const p = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0',
      '--leader-elect', '--lease-context', 'us-east1', '--lease-name', lease, '--lease-duration', '3s', '--identity', id, '--work-dir', join(work, `ha-${id}`), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d) => { logs[id] += d.toString(); });
    return p;
  };
  const a = start('a');
  const b = start('b');
  try {
    const leader = await waitUntil('a leader', 20_000, async () => (/became leader/.test(logs.a!) ? 'a' : /became leader/.test(logs.b!) ? 'b' : undefined));
    const follower = leader === 'a' ? 'b' : 'a';
    await waitUntil('first status commit', 20_000, async () => statusLog(repo.url)[0]?.includes('applied to 3/3') || undefined);
    // The follower has competed for the Lease and lost: it says standby.
    const followerUrl = await waitUntil('the follower listens', 20_000, async () => /"listen":"(http:[^"]+)"/.exec(logs[follower]!)?.[1]);
    await waitUntil('the follower is a standby', 20_000, async () => /standby/.test(await (await fetch(`${followerUrl}/readyz`)).text()) || undefined);
    assert.match(logs[leader]!, /"msg":"new revision"/);
    assert.doesNotMatch(logs[follower]!, /"msg":"new revision"|status committed/, 'the follower never applies or writes');
    (leader === 'a' ? a : b).kill('SIGKILL');
    const killedAt = Date.now();
    await waitUntil('the follower takes over', 20_000, async () => /became leader/.test(logs[follower]!) || undefined, 200);
    assert.ok(Date.now() - killedAt < 10_000, 'failover within a few lease durations');
    const rev = repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 3'), 'scale down');
    await waitUntil('the new leader applies the next push', 30_000, async () => statusLog(repo.url)[0]?.startsWith(`status: ${rev.slice(0, 7)} applied`) || undefined, 500);
    assert.deepEqual(await replicas(sb, ns), [1, 1, 1]);
  } finally {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
  }
});

test('operator: --dir watches a local checkout and writes status files next to it', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('dir');
  const repo = await fleetRepo(sb, 'op-dir', ns);
  const status = join(repo.clone, '.gitfed-status');
  const p = spawn(process.execPath, ['bin/gitfed.js', 'run', '--dir', repo.clone, '--kubeconfig', sb.kubeconfig, '--interval', '1h', '--listen', '127.0.0.1:0', '--log-format', 'json'], { stdio: 'ignore' });
  try {
    await waitUntil('status files', 30_000, async () => (await readFile(join(status, 'COMMIT_MESSAGE'), 'utf8').catch(() => '')).includes('applied to 3/3') || undefined);
    assert.deepEqual(await replicas(sb, ns), [2, 2, 2]);
    await writeFile(join(repo.clone, 'manifests/app.yaml'), (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 9'));
    await waitUntil('the edit is applied without waiting for the interval', 30_000, async () => (await replicas(sb, ns)).every((n) => n === 3) || undefined, 500);
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    assert.equal(await exited, 0, 'SIGTERM: a clean exit');
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
  }
});

test('operator: --path reads the fleet from a subdirectory of the repo', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('sub');
  const url = await sb.git.createRepo('op-subdir');
  const src = join(work, 'subdir-src');
  const root = join(src, 'envs', 'prod');
  execFileSync('mkdir', ['-p', join(root, 'clusters'), join(root, 'manifests'), join(src, 'manifests')]);
  await writeFile(join(root, 'clusters', 'c.yaml'), CLUSTERS.map((c) => stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'sub', zone: ZONES[c] } } })).join('---\n'));
  await writeFile(join(root, 'manifests', 'app.yaml'), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prod', namespace: ns }, data: { env: 'prod' } }].map((o) => stringify(o)).join('---\n'));
  // Outside the fleet path: must be ignored (it would be an error if read).
  await writeFile(join(src, 'manifests', 'broken.yaml'), 'this: is: not: yaml: [\n');
  sh(work, 'init', '-q', '-b', 'main', src);
  sh(src, 'add', '.');
  sh(src, 'commit', '-q', '-m', 'monorepo');
  sh(src, 'push', '-q', url, 'main');
  const ends = gitEnds({ url, branch: 'main', path: 'envs/prod', statusBranch: 'gitfed/status', workDir: join(work, 'subdir-op'), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  const op = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics() });
  try {
    const r = await op.tick();
    assert.equal(r.applied, true, r.error);
    const h = new KubeHttp({ server: sb.clusters[1]!.server, ca: sb.clusters[1]!.ca, token: sb.clusters[1]!.adminToken });
    try { assert.equal((await h.request<any>({ path: `/api/v1/namespaces/${ns}/configmaps/prod` })).body.data.env, 'prod'); } finally { h.close(); }
  } finally {
    op.close();
  }
});

test('operator: status committed into a directory of the watched branch never triggers an apply', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('indir');
  const repo = await fleetRepo(sb, 'op-indir', ns);
  const ends = gitEnds({ url: repo.url, branch: 'main', statusBranch: 'unused', statusDir: '.gitfed-status', workDir: join(work, 'indir-op'), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  const op = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics() });
  const mainLog = () => {
    const dir = join(work, `indir-view-${Math.random().toString(36).slice(2)}`);
    sh(work, 'clone', '-q', repo.url, dir);
    return { subjects: sh(dir, 'log', '--format=%s', 'main').trim().split('\n'), readme: sh(dir, 'show', 'main:.gitfed-status/README.md') };
  };
  try {
    const first = await op.tick();
    assert.equal(first.applied, true);
    const after1 = mainLog();
    assert.match(after1.subjects[0]!, /^status: [0-9a-f]{7} applied to 3\/3 clusters$/);
    assert.equal(after1.subjects[1], 'fleet');
    assert.match(after1.readme, /# gitfed fleet status/);
    // gitfed's own commit is the new head: not a new revision, nothing applied.
    // Tick until a status shows every Pod Ready (Pods becoming Ready is what
    // changes the status after an apply); after that nothing changes.
    const ingress = () => { const dir = join(work, `indir-view-${Math.random().toString(36).slice(2)}`); sh(work, 'clone', '-q', repo.url, dir); return parse(sh(dir, 'show', `main:.gitfed-status/ingresses/${ns}/web.yaml`)); };
    await waitUntil('pods ready in the status', 60_000, async () => { const r = await op.tick(); assert.equal(r.applied, false, 'a status commit is never a new revision'); return allReady(ingress(), 2) || undefined; });
    const writes = op.writes();
    const commits = mainLog().subjects.length;
    const quiet = await op.tick();
    assert.equal(quiet.applied, false);
    assert.equal(quiet.statusCommitted, false);
    assert.equal(op.writes(), writes);
    assert.equal(mainLog().subjects.length, commits);
  } finally {
    op.close();
  }
});
