// Rollout waves on real apiservers (with controllers, a scheduler and hollow
// nodes, so Pods really become Ready or stay Pending) and a real git server:
// canary first, the rest one cluster at a time after the canary baked; a bad
// revision fails the canary's gate, is reverted and quarantined and never
// reaches the others; pause through a committed policy, approval through
// `gitfed rollout approve`; a new operator resumes at the same wave.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { gitEnds } from '../../operator/loop/sources.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-rollout-'));
after(() => rm(work, { recursive: true, force: true }));
const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };
const env = { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });

interface Ctx { sb: Sandbox; ns: string; url: string; src: string; op: Operator }
let ctx: Ctx | undefined;
after(() => ctx?.op.close());

function policy(extra: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'gitfed.io/v1alpha1', kind: 'RolloutPolicy', metadata: { name: 'default' },
    spec: {
      waves: [
        { name: 'canary', clusters: { names: ['asia-east1'] }, bake: '2s' },
        { name: 'rest', clusters: { matchLabels: {} }, maxUnavailable: 1, ...rest },
      ],
      gates: { readyReplicas: true, readyEndpoints: true },
      progressDeadline: '90s', onFailure: 'revert', ...extra,
    },
  };
}

/** Commit and push the fleet: manifests (image, optional nodeSelector) and the policy. */
function push(c: Pick<Ctx, 'src' | 'url' | 'ns'>, message: string, opts: { image?: string; nodeSelector?: Record<string, string>; policy?: unknown } = {}): string {
  const app = web(c.ns, { replicas: 6, image: opts.image ?? 'nginx:1.27' }) as any[];
  if (opts.nodeSelector) app[1].spec.template.spec.nodeSelector = opts.nodeSelector;
  execFileSync('sh', ['-c', `cat > ${JSON.stringify(join(c.src, 'manifests/app.yaml'))}`], { input: app.map((o) => stringify(o)).join('---\n') });
  execFileSync('sh', ['-c', `cat > ${JSON.stringify(join(c.src, 'policies/rollout.yaml'))}`], { input: stringify(opts.policy ?? policy()) });
  git(c.src, 'add', '.');
  git(c.src, 'commit', '-q', '-m', message);
  git(c.src, 'push', '-q', c.url, 'main');
  return git(c.src, 'rev-parse', 'HEAD').trim();
}

function operatorFor(sb: Sandbox, url: string, id: string): Operator {
  const ends = gitEnds({ url, branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, `${id}-op`), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  return new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), probeTimeoutMs: 2000 });
}

/** The live Deployment web in each cluster: image, nodeSelector, generation. */
async function live(sb: Sandbox, ns: string): Promise<Record<string, { image?: string; nodeSelector?: unknown; generation?: number }>> {
  const out: Record<string, { image?: string; nodeSelector?: unknown; generation?: number }> = {};
  for (const c of sb.clusters) {
    const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
    try {
      const d = (await h.request<any>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/web` })).body;
      out[c.name] = { image: d?.spec?.template?.spec?.containers?.[0]?.image, nodeSelector: d?.spec?.template?.spec?.nodeSelector, generation: d?.metadata?.generation };
    } finally { h.close(); }
  }
  return out;
}

function statusLog(url: string): string[] {
  const dir = join(work, `view-${Math.random().toString(36).slice(2)}`);
  git(work, 'clone', '-q', '--no-checkout', url, dir);
  git(dir, 'fetch', '-q', 'origin', 'gitfed/status');
  return git(dir, 'log', '--format=%s', 'FETCH_HEAD').trim().split('\n');
}

function rolloutIndex(url: string): any {
  const dir = join(work, `idx-${Math.random().toString(36).slice(2)}`);
  git(work, 'clone', '-q', '--no-checkout', url, dir);
  git(dir, 'fetch', '-q', 'origin', 'gitfed/status');
  return parse(git(dir, 'show', 'FETCH_HEAD:rollouts/index.yaml'));
}

/** Tick until the rollout of `rev` reaches `verdict` (conditions, never time). */
async function until(c: Ctx, rev: string, verdicts: string[], what: string, timeoutMs = 240_000): Promise<any> {
  let last: any;
  try {
    return await waitUntil(what, timeoutMs, async () => {
      await c.op.trigger('test');
      last = rolloutIndex(c.url);
      return last.current?.revision === rev && verdicts.includes(last.current.verdict) ? last : undefined;
    }, 300);
  } catch (e) {
    for (const cl of c.sb.clusters) { try { console.log('DEBUG', cl.name, execFileSync(c.sb.kubectl, ['--kubeconfig', c.sb.kubeconfig, '--context', cl.name, '-n', c.ns, 'get', 'endpointslices,pods,svc', '-o', 'wide', '--show-labels'], { encoding: 'utf8' })); } catch (x) { console.log('DEBUG fail', String(x)); } }
    throw new Error(`${(e as Error).message}; rollout state: ${JSON.stringify(last?.current)}`);
  }
}

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/gitfed.js', ...args], { env: { ...env, XDG_CACHE_HOME: join(work, 'cli-cache') } });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

test('rollout: canary first, the rest one cluster at a time after the canary baked; a status commit per wave', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('ro');
  const url = await sb.git.createRepo(`rollout-${ns}`);
  const src = join(work, 'src');
  git(work, 'init', '-q', '-b', 'main', src);
  execFileSync('mkdir', ['-p', join(src, 'clusters'), join(src, 'manifests'), join(src, 'policies')]);
  await writeFile(join(src, 'clusters/clusters.yaml'), CLUSTERS.map((c) => stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'ro', zone: ZONES[c] } } })).join('---\n'));
  await writeFile(join(src, 'policies/fleet.yaml'), stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: `ro-${ns}` } }));
  // rebalance: the clusters a first rollout reaches late still get their share (without it, replicas stay where they first ran).
  await writeFile(join(src, 'policies/placement.yaml'), stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'web' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }], replicas: { rebalance: true, clusters: { '*': { weight: 1 } } } } }));
  const c: Ctx = { sb, ns, url, src, op: operatorFor(sb, url, 'first') };
  ctx = c;
  const first = push(c, 'first revision');
  await until(c, first, ['done'], 'the first rollout to finish');
  assert.deepEqual(Object.values(await live(sb, ns)).map((d) => d.image), ['nginx:1.27', 'nginx:1.27', 'nginx:1.27']);

  const second = push(c, 'nginx 1.28', { image: 'nginx:1.28' });
  const canary = await until(c, second, ['running'], 'the canary wave to start');
  assert.equal(canary.current.waves[0].state !== 'pending', true);
  let images = await live(sb, ns);
  assert.equal(images['asia-east1']!.image, 'nginx:1.28', 'the canary changes first');
  assert.equal(images['us-east1']!.image, 'nginx:1.27', `the rest waits; rollout state: ${JSON.stringify(canary.current)}`);
  assert.equal(images['europe-west1']!.image, 'nginx:1.27');
  // Before the canary's wave passed, nothing else changed.
  await waitUntil('the canary to pass', 120_000, async () => {
    await c.op.trigger('test');
    const idx = rolloutIndex(url);
    images = await live(sb, ns);
    if (idx.current.waves[0].state !== 'passed') {
      assert.equal(images['us-east1']!.image, 'nginx:1.27', 'nothing beyond the canary before it passed');
      assert.equal(images['europe-west1']!.image, 'nginx:1.27');
      return false;
    }
    return true;
  }, 300);
  await until(c, second, ['done'], 'the second rollout to finish');
  assert.deepEqual(Object.values(await live(sb, ns)).map((d) => d.image), ['nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
  const log = statusLog(url).reverse().filter((s) => s.startsWith(`rollout: ${second.slice(0, 7)}`));
  assert.match(log[0]!, /started: canary \(1\), rest \(2\)/, log.join('\n'));
  const passed = log.findIndex((s) => /wave canary passed \(1\/3 clusters\)/.test(s));
  const done = log.findIndex((s) => /wave rest passed \(3\/3 clusters\)/.test(s));
  assert.ok(passed > 0 && done > passed, log.join('\n'));
});

test('rollout: a revision whose Pods can never schedule fails the canary, is reverted and quarantined; the others never see it', async () => {
  const c = ctx!;
  const before = await live(c.sb, c.ns);
  // A short deadline for this revision only: the policy in force is the target revision's.
  const bad = push(c, 'pin to a node that does not exist', { image: 'nginx:1.28', nodeSelector: { disk: 'none-such' }, policy: policy({ progressDeadline: '20s' }) });
  const idx = await until(c, bad, ['reverted'], 'the bad revision to be reverted');
  assert.match(idx.current.reason, /wave canary: asia-east1: readyReplicas .*after 20s/);
  assert.equal(idx.quarantined[0].revision, bad);
  const after = await live(c.sb, c.ns);
  assert.equal(after['asia-east1']!.nodeSelector, undefined, 'the canary is back on the stable revision');
  for (const n of ['us-east1', 'europe-west1']) assert.deepEqual(after[n], before[n], `${n} never saw the revision`);
  const failedAt = new RegExp(`^rollout: ${bad.slice(0, 7)} failed at wave canary: asia-east1: readyReplicas .* after 20s; reverted to [0-9a-f]{7}$`);
  const subjects = statusLog(c.url);
  assert.ok(subjects.some((s) => failedAt.test(s)), `one status commit says which gate failed, why, and what it reverted to:\n${subjects.slice(0, 8).join('\n')}`);
  // Quarantined: more ticks never apply it again.
  for (let i = 0; i < 3; i++) await c.op.trigger('test');
  assert.equal((await live(c.sb, c.ns))['asia-east1']!.nodeSelector, undefined);
  const st = await cli(['rollout', 'status', '--repo', c.url]);
  assert.equal(st.code, 12, st.out);
  assert.match(st.out, /reverted/);
});

test('rollout: paused through a committed RolloutPolicy; approval through gitfed rollout approve; a new operator resumes at the same wave', async () => {
  const c = ctx!;
  const paused = push(c, 'fix, but hold', { image: 'nginx:1.29', policy: policy({ paused: true }) });
  const held = await until(c, paused, ['paused'], 'the rollout to pause at the first boundary');
  assert.equal(held.current.waves[0].state, 'paused');
  assert.equal((await live(c.sb, c.ns))['asia-east1']!.image, 'nginx:1.28', 'nothing changes while paused');

  const gated = push(c, 'go, with approval for the rest', { image: 'nginx:1.29', policy: policy({}, { approval: true }) });
  await until(c, gated, ['waiting-approval'], 'the rest to wait for approval');
  assert.equal((await cli(['rollout', 'status', '--repo', c.url])).code, 11);
  assert.equal((await live(c.sb, c.ns))['us-east1']!.image, 'nginx:1.28');

  // The operator is replaced (a restart, or a new leader) before the approval arrives.
  c.op.close();
  c.op = operatorFor(c.sb, c.url, 'second');
  const approve = await cli(['rollout', 'approve', gated, '--wave', 'rest', '--repo', c.url, '--author-name', 'Alice', '--author-email', 'alice@example.com']);
  assert.equal(approve.code, 0, approve.out);
  const running = await until(c, gated, ['running', 'done'], 'the new operator to resume after the approval');
  assert.equal(running.current.waves[0].state, 'passed', 'the canary is not rolled again');
  assert.ok(!statusLog(c.url).some((s) => s.includes(`${gated.slice(0, 7)} started`) && s !== statusLog(c.url).find((x) => x.includes(`${gated.slice(0, 7)} started`))), 'one start');
  await until(c, gated, ['done'], 'the approved rollout to finish');
  assert.deepEqual(Object.values(await live(c.sb, c.ns)).map((d) => d.image), ['nginx:1.29', 'nginx:1.29', 'nginx:1.29']);
  assert.equal((await cli(['rollout', 'status', '--repo', c.url])).code, 0);
});
