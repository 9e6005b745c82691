// Cluster B refuses every write (503 through the fault proxy) while a new
// revision arrives; the operator runs with --interval 1h, so no interval tick
// comes during the test. It must retry B on its own with a backoff (no
// storm), and once B takes writes again, apply the revision there without
// a push, a webhook or an interval tick.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withViews } from '../cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { expectedKeys, type FleetDef } from '../fleet.js';
import { createFleetRepo } from '../fleet-repo.js';
import { OperatorProcess } from '../gitfed-process.js';
import { startApiserverProxy } from '../injectors/apiserver-proxy.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';
import { converged } from '../operator-scenario.js';
import { waitFor } from '../wait.js';

const RETRYING = 'a cluster or git failed: retrying';
/** Retries per second above this mean no backoff. */
const STORM_PER_SECOND = 3;

export async function writesRefusedThenRetried(env: FaultEnv): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'retry');
  const name = uniqueName('f-retry');
  const def: FleetDef = { name, ns: name, clusters: { [env.a.name]: env.a.name, [env.b.name]: env.b.name }, configMaps: 10, heal: false };
  const proxy = await startApiserverProxy(env.sb, env.b);
  let op: OperatorProcess | undefined;
  try {
    const repo = await createFleetRepo(env, def, dir);
    await repo.pushRevision(1);
    const kubeconfig = await writeKubeconfig(dir, [env.a, env.b], { [env.b.name]: proxy.url });
    op = new OperatorProcess(env.root, ['--repo', repo.url, '--kubeconfig', kubeconfig, '--interval', '1h', '--retry-interval', '1s', '--listen', '127.0.0.1:0',
      '--work-dir', join(dir, 'op'), '--log-format', 'json']);
    const live = op;
    if (!(await waitFor(90_000, async () => !live.running || (await converged([env.a, env.b], def, 1))))) outcome.notes.push('never converged on revision 1');
    const url = await op.url();
    // B refuses writes; revision 2 arrives through one webhook.
    proxy.resetCount();
    proxy.setRule((r) => (r.method === 'GET' ? undefined : { status: 503, body: 'status' }));
    await repo.pushRevision(2);
    const before = op.count(RETRYING);
    const since = Date.now();
    await fetch(`${url}/webhook`, { method: 'POST', headers: { 'x-github-event': 'push' }, body: JSON.stringify({ ref: 'refs/heads/main' }) }).then((r) => r.arrayBuffer());
    if (!(await waitFor(60_000, async () => !live.running || (await converged([env.a], def, 2))))) outcome.problems.push(`${env.a.name} did not get revision 2 while ${env.b.name} refused writes`);
    // Three retries while B still refuses (1 s, 2 s, 4 s apart): it keeps trying, slower each time.
    if (!(await waitFor(60_000, () => !live.running || (op!.count(RETRYING) - before >= 4 && proxy.faulted() > 0)))) outcome.problems.push(`no retries while ${env.b.name} refused writes (${op.count(RETRYING) - before} logged, ${proxy.faulted()} refused)`);
    const retries = op.count(RETRYING) - before;
    const secs = Math.max(1, (Date.now() - since) / 1000);
    outcome.notes.push(`${retries} retries in ${secs.toFixed(0)} s while refused`);
    if (retries / secs > STORM_PER_SECOND) outcome.problems.push(`retried ${retries} times in ${secs.toFixed(0)} s (no backoff)`);
    proxy.setRule(undefined);
    // No push, no webhook, no interval tick for an hour: only the retry can bring revision 2 to B.
    outcome.recovered = live.running && !!(await waitFor(60_000, async () => !live.running || (await converged([env.a, env.b], def, 2)))) && live.running;
    outcome.crashed = op.crashed;
    if (op.crashed) outcome.notes.push(op.describeExit());
    await withViews([env.a, env.b], async (views) => { for (const v of views) outcome.lost += (await v.missing(expectedKeys(def, 2))).length; });
    if (!outcome.recovered && op.running) outcome.notes.push(`last operator error: ${op.lastError() ?? 'none logged'}`);
    return outcome;
  } finally {
    if (op && !(await op.stop())) outcome.problems.push('did not exit within 30 s of SIGTERM');
    await proxy.close();
    await withViews([env.a, env.b], async (views) => { for (const v of views) await v.delete(`/api/v1/namespaces/${def.ns}`).catch(() => undefined); });
    await rm(dir, { recursive: true, force: true });
  }
}
