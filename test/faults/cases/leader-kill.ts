// Two operators with --leader-elect; the leader is SIGKILLed the moment it
// starts applying a new revision. The standby must take over and converge the
// revision: nothing lost, nothing left over that the revision does not render,
// and while it waits the standby reports not ready (/readyz 503), so a
// Service sends webhooks to the leader only.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withViews } from '../cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { expectedKeys, type FleetDef } from '../fleet.js';
import { createFleetRepo } from '../fleet-repo.js';
import { OperatorProcess } from '../gitfed-process.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';
import { waitFor } from '../wait.js';

export async function leaderKilledMidApply(env: FaultEnv): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'leader');
  const name = uniqueName('f-leader');
  const def: FleetDef = { name, ns: name, clusters: { [env.a.name]: env.a.name, [env.b.name]: env.b.name }, configMaps: 60 };
  const clusters = [env.a, env.b];
  const ops: Record<string, OperatorProcess> = {};
  try {
    const repo = await createFleetRepo(env, def, dir);
    await repo.pushRevision(1);
    const kubeconfig = await writeKubeconfig(dir, clusters);
    const start = (id: string) => new OperatorProcess(env.root, ['--repo', repo.url, '--kubeconfig', kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0', '--prune',
      '--leader-elect', '--lease-context', env.a.name, '--lease-name', name, '--lease-duration', '3s', '--identity', id, '--work-dir', join(dir, `op-${id}`), '--log-format', 'json'], `operator ${id}`);
    ops.a = start('a');
    ops.b = start('b');
    const leaderId = await waitFor(30_000, () => (ops.a!.count('became leader') ? 'a' : ops.b!.count('became leader') ? 'b' : undefined));
    if (!leaderId) {
      outcome.problems.push('no operator became leader within 30 s');
      outcome.crashed = ops.a.crashed || ops.b.crashed;
      return outcome;
    }
    const leader = ops[leaderId]!;
    const standby = ops[leaderId === 'a' ? 'b' : 'a']!;
    const holds = (rev: number) => withViews(clusters, async (views) => (await Promise.all(views.map((v) => v.holds(expectedKeys(def, rev), rev)))).every(Boolean));
    if (!(await waitFor(60_000, () => holds(1)))) outcome.notes.push('never converged on revision 1');
    const standbyReady = await standby.readyz();
    if (standbyReady !== 503) outcome.problems.push(`the standby's /readyz answered ${standbyReady ?? 'nothing'} (want 503)`);
    // Kill the leader the moment it starts applying revision 2.
    const seen = leader.count('new revision');
    await repo.pushRevision(2);
    await waitFor(30_000, () => leader.count('new revision') > seen || !leader.running, 10);
    await leader.kill();
    const tookOver = await waitFor(30_000, () => standby.count('became leader') > 0 || !standby.running);
    if (!tookOver || !standby.running) outcome.notes.push('the standby did not take over');
    outcome.recovered = !!(await waitFor(60_000, async () => standby.running && (await holds(2))));
    outcome.crashed = standby.crashed || leader.crashed;
    for (const op of [leader, standby]) if (op.crashed) outcome.notes.push(op.describeExit());
    await withViews(clusters, async (views) => {
      for (const v of views) {
        outcome.lost += (await v.missing(expectedKeys(def, 2))).length;
        // With --prune the new leader removes what revision 2 no longer renders: nothing doubled or left over.
        const cms = (await v.http.request<any>({ path: `/api/v1/namespaces/${def.ns}/configmaps?labelSelector=${encodeURIComponent(`gitfed.io/fleet=${def.name}`)}` })).body?.items ?? [];
        const want = new Set(expectedKeys(def, 2).filter((k) => k.kind === 'ConfigMap').map((k) => k.name));
        const extra = cms.filter((c: any) => !want.has(c.metadata.name)).map((c: any) => c.metadata.name);
        if (extra.length) outcome.problems.push(`${v.cluster.name} still holds ${extra.join(', ')} after the takeover`);
        const outside = await v.ownedOutside(def.name, [def.ns]);
        outcome.unsafe += outside.length;
      }
    });
    return outcome;
  } finally {
    for (const op of Object.values(ops)) if (op.running && !(await op.stop())) outcome.problems.push(`${op.label} did not exit within 30 s of SIGTERM`);
    await withViews(clusters, async (views) => {
      for (const v of views) await v.delete(`/api/v1/namespaces/${def.ns}`).catch(() => undefined);
      await views[0]!.delete(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${name}`).catch(() => undefined);
    });
    await rm(dir, { recursive: true, force: true });
  }
}
