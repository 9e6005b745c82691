// gitfed demo: the whole product on this machine. Starts 3 local clusters and
// a git server, pushes the sample fleet, runs the operator, shows the status
// commit, changes the replica count in a commit, shows the new status, and
// stops everything (also on Ctrl-C or an error).
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { KubeHttp } from '../cluster/kube-http.js';
import { valueHash } from '../report/secret-values.js';
import { createLogger } from '../loop/logger.js';
import { Metrics } from '../loop/metrics.js';
import { Operator } from '../loop/operator.js';
import { gitEnds } from '../loop/sources.js';
import { backendServiceHealth } from '../gce/backend-health.js';
import { gceClients } from '../gce/gce-clients.js';
import { ensureGlobalAddress } from '../gce/static-ip.js';
import { startComputeStandin, type ComputeStandin } from '../sandbox/compute-standin.js';
import { describeCompute } from '../sandbox/compute-summary.js';
import { startGlbc } from '../sandbox/glbc-standin.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { runCommand } from './args.js';
import { run as runPlan } from './plan.js';
import type { CliIO } from './main.js';

const HELP = `usage: gitfed demo

Runs gitfed end to end on local, real Kubernetes apiservers (3 clusters with
controllers and simulated nodes) and a local git server, then stops them.
Google's load balancer is not reachable here: a stand-in plays GLBC and
builds GLBC's resources in a local stand-in for the Compute Engine API.`;

/** The sample fleet's project and the static IP its Ingress names (clusters/*.yaml, manifests/). */
const DEMO_PROJECT = 'gitfed-demo';
const DEMO_STATIC_IP = 'gitfed-demo-ip';

/** The stand-in's load balancer, with the health Compute Engine reports per instance group. */
async function showCompute(compute: ComputeStandin, say: (t: string) => void): Promise<void> {
  const snap = compute.snapshot();
  const gce = gceClients({ endpoint: compute.url });
  const health: Record<string, Record<string, string>> = {};
  try {
    for (const b of snap.backendServices ?? []) {
      for (const g of await backendServiceHealth(gce, DEMO_PROJECT, b.name).catch(() => [])) {
        (health[b.name] ??= {})[`${g.zone}/${g.group.split('/').pop()}`] = `${g.state} ${g.healthy}/${g.total}`;
      }
    }
  } finally {
    await gce.close();
  }
  for (const line of describeCompute(snap, health)) say(`    ${line}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pull request's RolloutPolicy: canary first, the rest one cluster at a time. */
const ROLLOUT_POLICY = `apiVersion: gitfed.io/v1alpha1
kind: RolloutPolicy
metadata: { name: default }
spec:
  waves:
    - { name: canary, clusters: { names: [asia-east1] }, bake: 5s }
    - { name: rest, clusters: { matchLabels: {} }, maxUnavailable: 1 }
  gates: { readyReplicas: true, readyEndpoints: true }
  progressDeadline: 2m
  onFailure: revert
`;

/** Until every replica of web/nginx is Ready everywhere and GLBC had a moment to notice. */
async function waitReady(sb: Sandbox, total: number): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    let ready = 0;
    for (const c of sb.clusters) {
      const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
      const r = await h.request<{ status?: { readyReplicas?: number } }>({ path: '/apis/apps/v1/namespaces/web/deployments/nginx' }).catch(() => undefined);
      h.close();
      ready += r?.body?.status?.readyReplicas ?? 0;
    }
    if (ready >= total) break;
    await sleep(500);
  }
  await sleep(3000);
}

function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const say = (t = '') => io.out(t);
    const step = (t: string) => say(`\n\x1b[1m==> ${t}\x1b[0m`);
    const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_AUTHOR_NAME: 'Platform Team', GIT_AUTHOR_EMAIL: 'platform@example.com', GIT_COMMITTER_NAME: 'Platform Team', GIT_COMMITTER_EMAIL: 'platform@example.com' } });
    const work = await mkdtemp(join(tmpdir(), 'gitfed-demo-'));
    let sb: Sandbox | undefined;
    let glbc: { stop(): void } | undefined;
    let compute: ComputeStandin | undefined;
    let operator: Operator | undefined;
    const cleanup = async () => {
      glbc?.stop();
      await compute?.close();
      operator?.close();
      await sb?.stop();
      await rm(work, { recursive: true, force: true });
    };
    const onSignal = () => { void cleanup().then(() => process.exit(130)); };
    process.once('SIGINT', onSignal);
    try {
      say('gitfed demo: Federated Ingress, done with GitOps.');
      say('A platform team keeps a fleet repo in Git; gitfed applies it to every member cluster so that');
      say('every cluster\'s GCE ingress controller joins ONE global load balancer on ONE static IP.');

      step('Starting 3 local Kubernetes clusters (real kube-apiservers, controllers, scheduler, hollow nodes) and a git server');
      sb = await startSandbox({ clusters: 3, log: (l) => say(`    ${l.replace(/^==> /, '')}`) });
      say(`    Kubernetes ${sb.version}; clusters: ${sb.clusters.map((c) => c.name).join(', ')}; git: ${sb.git.url}`);
      compute = await startComputeStandin();
      // The static IP must exist before the Ingress, or GLBC gives it no forwarding rule.
      const gce = gceClients({ endpoint: compute.url });
      try {
        const ip = await ensureGlobalAddress(gce, DEMO_PROJECT, DEMO_STATIC_IP);
        say(`    Compute Engine stand-in (not Google): ${compute.url}; static IP ${DEMO_STATIC_IP} reserved: ${ip.address}`);
      } finally {
        await gce.close();
      }
      glbc = startGlbc(sb, 1000, { compute: { endpoint: compute.url, project: DEMO_PROJECT } });
      say('    (a stand-in plays Google\'s GLBC in every cluster: it builds the load balancer in the Compute Engine stand-in,');
      say('     naming it with the cluster\'s ingress-uid as GLBC does: k8s-ig--<uid>, k8s-be-<nodePort>--<uid>, k8s-um-...)');

      step('The platform team pushes the sample fleet (clusters/, manifests/, policies/) to the fleet repo');
      say('    (manifests/tls-secret.yaml, the Ingress\'s certificate, is encrypted with sops to the sandbox\'s PUBLIC demo age key;');
      say(`    gitfed opens it in memory with --age-key-file ${sb.ageKeyFile})`);
      const repo = join(work, 'fleet');
      sh(work, 'clone', '-q', sb.git.url, repo);
      for (const d of ['clusters', 'manifests', 'policies']) await cp(join(projectRoot(), d), join(repo, d), { recursive: true });
      sh(repo, 'checkout', '-q', '-b', 'main');
      sh(repo, 'add', '.');
      sh(repo, 'commit', '-q', '-m', 'Add nginx behind one global load balancer, 50 replicas over 3 regions');
      sh(repo, 'push', '-q', 'origin', 'main');
      say(sh(repo, 'log', '--oneline', '-1').trimEnd().replace(/^/gm, '    '));

      step('gitfed run --repo ' + sb.git.url + ' (the operator: fetch, render, apply, write status back)');
      const log = createLogger({ format: 'text', write: (l) => say(`    ${l}`) });
      const ends = gitEnds({ url: sb.git.url, branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, 'operator'), author: { name: 'gitfed', email: 'gitfed@localhost' } });
      operator = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, log, metrics: new Metrics(), age: { keyFile: sb.ageKeyFile } });
      await operator.tick('start');
      say('    ... waiting for Pods to become Ready and for the GLBC stand-in to report the load balancer');
      await waitReady(sb, 50);
      await operator.tick('interval');

      const view = join(work, 'review');
      const showStatus = async (title: string) => {
        step(title);
        await rm(view, { recursive: true, force: true });
        sh(work, 'clone', '-q', sb!.git.url, view);
        sh(view, 'fetch', '-q', 'origin', 'gitfed/status', 'refs/notes/gitfed:refs/notes/gitfed');
        say('$ git log --oneline origin/gitfed/status');
        say(sh(view, 'log', '--oneline', '-5', 'origin/gitfed/status').trimEnd().replace(/^/gm, '    '));
        say('$ git show origin/gitfed/status:README.md');
        say(sh(view, 'show', 'origin/gitfed/status:README.md').trimEnd().replace(/^/gm, '    '));
      };
      await showStatus('Reviewing the fleet = reviewing the status commit');
      say('$ kubectl get deploy,svc,ingress -n web   (in each cluster: same objects, one nodePort, replicas split 16/17/17)');
      for (const c of sb.clusters) {
        say(`  [${c.name}]`);
        say(execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', c.context, '-n', 'web', 'get', 'deploy,svc,ingress', '-o', 'wide'], { encoding: 'utf8' }).trimEnd().replace(/^/gm, '    ').split('\n').map((l) => l.slice(0, 150)).join('\n'));
      }
      say('$ kubectl get secret tls-secret -n web   (decrypted from Git, the same certificate in every cluster; shown as a hash)');
      for (const c of sb.clusters) {
        const crt = execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', c.context, '-n', 'web', 'get', 'secret', 'tls-secret', '-o', 'jsonpath={.type} {.data.tls\\.crt}'], { encoding: 'utf8' }).trim().split(' ');
        say(`    [${c.name}] type ${crt[0]}, tls.crt ${valueHash(crt[1] ?? '')}`);
      }
      say(`$ the load balancer in the Compute Engine stand-in (${compute.url}/compute/v1/projects/${DEMO_PROJECT}/...): ONE for all three clusters`);
      await showCompute(compute, say);

      step('A pull request changes the replica count 50 -> 60 and rolls it out canary first (branch scale-nginx)');
      const file = join(repo, 'manifests', 'nginx.yaml');
      sh(repo, 'checkout', '-q', '-b', 'scale-nginx');
      await writeFile(file, (await readFile(file, 'utf8')).replace('replicas: 50', 'replicas: 60'));
      await writeFile(join(repo, 'policies', 'rollout.yaml'), ROLLOUT_POLICY);
      say(ROLLOUT_POLICY.trimEnd().replace(/^/gm, '    '));
      sh(repo, 'add', '.');
      sh(repo, 'commit', '-q', '-m', 'Scale nginx to 60 replicas, canary first');
      sh(repo, 'push', '-q', 'origin', 'scale-nginx');
      say(sh(repo, 'log', '--oneline', '-1').trimEnd().replace(/^/gm, '    '));

      step(`CI runs: gitfed plan --repo ${sb.git.url} --branch scale-nginx --kubeconfig ... --commit`);
      const quiet: CliIO = { ...io, out: () => undefined, err: (t) => say(`    ${t.trimEnd()}`) };
      const planCode = await runPlan(['--repo', sb.git.url, '--branch', 'scale-nginx', '--kubeconfig', sb.kubeconfig, '--work-dir', join(work, 'plan'), '--age-key-file', sb.ageKeyFile, '--commit'], quiet);
      say(`    exit ${planCode} (2 = changes to review)`);
      sh(view, 'fetch', '-q', 'origin', 'gitfed/plans/scale-nginx');
      say('$ git show origin/gitfed/plans/scale-nginx:PLAN.md   (what the reviewer reads in the pull request)');
      say(sh(view, 'show', 'FETCH_HEAD:PLAN.md').trimEnd().replace(/^/gm, '    '));

      step('The pull request is approved and merged into main');
      sh(repo, 'checkout', '-q', 'main');
      sh(repo, 'merge', '-q', '--ff-only', 'scale-nginx');
      sh(repo, 'push', '-q', 'origin', 'main');
      say('    (a push webhook would trigger the fetch at once; here the demo triggers it)');
      await operator.trigger('webhook');
      say('    ... the operator rolls the revision out wave by wave (canary asia-east1, bake 5s, then one cluster at a time)');
      const until = Date.now() + 240_000;
      let verdict = '';
      while (Date.now() < until && verdict !== 'done' && verdict !== 'reverted' && verdict !== 'failed') {
        await operator.trigger('interval');
        sh(view, 'fetch', '-q', 'origin', 'gitfed/status');
        let index: { current?: { verdict?: string } } | null = null;
        try { index = parse(sh(view, 'show', 'FETCH_HEAD:rollouts/index.yaml')); } catch { index = null; }
        verdict = index?.current?.verdict ?? '';
        if (verdict !== 'done') await sleep(1000);
      }
      await waitReady(sb, 60);
      await operator.tick('interval');
      await showStatus(`The new status: 60 replicas split 20/20/20, rollout ${verdict || 'not finished'}`);
      say('$ git log --format=%s origin/gitfed/status | grep rollout   (each wave transition is a status commit)');
      say(sh(view, 'log', '--format=%s', 'origin/gitfed/status').split('\n').filter((l) => l.startsWith('rollout:')).reverse().join('\n').replace(/^/gm, '    '));
      say('$ git log --notes=gitfed --oneline main   (what happened to each push)');
      say(sh(view, 'log', '--notes=gitfed', '-2', 'origin/main').trimEnd().replace(/^/gm, '    '));

      step('Stopping everything the demo started');
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      await cleanup();
      say('    done: no cluster, node, git server or Compute Engine stand-in is left running.');
    }
  });
}
