// The shape every operator fault shares: a fleet repo on the real git server,
// the real `gitfed run` process over clusters A and B, and then
//   converge on revision 1 -> inject the fault -> push revision 2 and watch
//   what still works -> remove the fault -> converge on revision 2 everywhere.
// It measures crashed (the operator exited), lost (revision-2 objects missing
// from clusters that are up, at the end), unsafe (this fleet's objects outside
// its namespace) and recovered (converged after the fault was removed).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxCluster } from '../../operator/sandbox/index.js';
import { withViews } from './cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from './env.js';
import { expectedKeys, type FleetDef } from './fleet.js';
import { createFleetRepo, type FleetRepo } from './fleet-repo.js';
import { OperatorProcess } from './gitfed-process.js';
import { startApiserverProxy, type ApiserverProxy } from './injectors/apiserver-proxy.js';
import { startGitFront, type GitFront } from './injectors/git-front.js';
import { writeKubeconfig } from './kubeconfigs.js';
import { newOutcome, type FaultOutcome } from './outcome.js';
import { waitFor } from './wait.js';

export interface ScenarioContext {
  env: FaultEnv;
  def: FleetDef;
  repo: FleetRepo;
  op: OperatorProcess;
  proxy?: ApiserverProxy;
  gitFront?: GitFront;
  outcome: FaultOutcome;
  /** When the fault went in (Date.now()). */
  injectedAt: number;
}

export interface OperatorFault {
  id: string;
  /** Reach cluster B through the apiserver fault proxy. */
  proxyB?: boolean;
  /** Point the operator's --repo at the git front instead of the server. */
  gitFront?: boolean;
  /** Extra `gitfed run` flags. */
  args?: string[];
  configMaps?: number;
  heal?: boolean;
  /** Before the operator starts (e.g. garbage on the status branch). */
  beforeStart?(ctx: Omit<ScenarioContext, 'op' | 'injectedAt'>): Promise<void>;
  inject(ctx: ScenarioContext): Promise<void>;
  /** Push revision 2 first and inject the moment the operator starts applying it ("mid-apply"). */
  injectOnNewRevision?: boolean;
  /** Clusters that need not converge while the fault is on (default: B). */
  faulted?: (env: FaultEnv) => SandboxCluster[];
  /** Push revision 2 while the fault is on (default true; a git fault pushes after). */
  pushDuringFault?: boolean;
  /** Extra checks while the fault is on. */
  during?(ctx: ScenarioContext): Promise<void>;
  remove(ctx: ScenarioContext): Promise<void>;
  /** Bounds (ms) for converging before, during and after the fault. */
  bounds?: { before?: number; during?: number; after?: number };
}

const ALL = (env: FaultEnv) => [env.a, env.b];

/** Every cluster holds the objects of revision `rev`. */
export async function converged(clusters: SandboxCluster[], def: FleetDef, rev: number): Promise<boolean> {
  return withViews(clusters, async (views) => (await Promise.all(views.map((v) => v.holds(expectedKeys(def, rev), rev)))).every(Boolean));
}

export async function runOperatorFault(env: FaultEnv, f: OperatorFault): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, f.id);
  const name = uniqueName(`f-${f.id}`);
  const def: FleetDef = { name, ns: name, clusters: { [env.a.name]: env.a.name, [env.b.name]: env.b.name }, configMaps: f.configMaps ?? 20, heal: f.heal ?? false };
  const bounds = { before: 60_000, during: 30_000, after: 60_000, ...f.bounds };
  let proxy: ApiserverProxy | undefined;
  let gitFront: GitFront | undefined;
  let op: OperatorProcess | undefined;
  try {
    const repo = await createFleetRepo(env, def, dir);
    await repo.pushRevision(1);
    if (f.proxyB) proxy = await startApiserverProxy(env.sb, env.b);
    if (f.gitFront) gitFront = await startGitFront(Number(new URL(env.sb.git.baseUrl).port));
    const kubeconfig = await writeKubeconfig(dir, ALL(env), proxy ? { [env.b.name]: proxy.url } : {});
    await f.beforeStart?.({ env, def, repo, outcome, ...(proxy ? { proxy } : {}), ...(gitFront ? { gitFront } : {}) });
    const url = gitFront ? gitFront.urlFor(repo.path) : repo.url;
    op = new OperatorProcess(env.root, ['--repo', url, '--kubeconfig', kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0', '--work-dir', join(dir, 'op'), '--log-format', 'json', '--prune', ...(f.args ?? [])]);
    const live = op;
    if (!(await waitFor(bounds.before, async () => !live.running || (await converged(ALL(env), def, 1))))) outcome.notes.push('never converged on revision 1 before the fault');
    const ctx: ScenarioContext = { env, def, repo, op, outcome, injectedAt: 0, ...(proxy ? { proxy } : {}), ...(gitFront ? { gitFront } : {}) };
    if (f.injectOnNewRevision) {
      const seen = op.count('new revision');
      await repo.pushRevision(2);
      await waitFor(bounds.during, () => !live.running || live.count('new revision') > seen, 20);
    }
    if (op.running) {
      ctx.injectedAt = Date.now();
      try {
        await f.inject(ctx);
        if (!f.injectOnNewRevision && f.pushDuringFault !== false) await repo.pushRevision(2);
        const healthy = ALL(env).filter((c) => !(f.faulted ?? ((e) => [e.b]))(env).includes(c));
        if (f.pushDuringFault !== false && healthy.length > 0 && !(await waitFor(bounds.during, async () => !live.running || (await converged(healthy, def, 2))))) {
          outcome.notes.push(`${healthy.map((c) => c.name).join(', ')} did not get revision 2 while the fault was on`);
        }
        await f.during?.(ctx);
      } finally {
        await f.remove(ctx);
      }
      if (f.pushDuringFault === false) await repo.pushRevision(2);
      // A dead operator cannot recover: do not wait out the bound for it.
      outcome.recovered = live.running && !!(await waitFor(bounds.after, async () => !live.running || (await converged(ALL(env), def, 2)))) && live.running;
    } else {
      outcome.recovered = false;
    }
    outcome.crashed = op.crashed;
    if (op.crashed) outcome.notes.push(op.describeExit());
    await withViews(ALL(env), async (views) => {
      for (const v of views) {
        outcome.lost += (await v.missing(expectedKeys(def, 2))).length;
        const outside = await v.ownedOutside(def.name, [def.ns]);
        outcome.unsafe += outside.length;
        if (outside.length) outcome.notes.push(`written outside the fleet's namespace: ${outside.slice(0, 3).join(', ')}`);
      }
    });
    if (!outcome.recovered && op.running) outcome.notes.push(`last operator error: ${op.lastError() ?? 'none logged'}`);
    return outcome;
  } finally {
    if (op && !(await op.stop())) outcome.problems.push('did not exit within 30 s of SIGTERM');
    await proxy?.close();
    await gitFront?.close();
    await withViews(ALL(env), async (views) => { for (const v of views) await v.delete(`/api/v1/namespaces/${def.ns}`).catch(() => undefined); });
    await rm(dir, { recursive: true, force: true });
  }
}
