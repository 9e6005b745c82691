// The fleet's git server stalls (accepts connections, never answers) or
// refuses connections while the operator runs. Clusters must keep being
// observed and healed from the last good revision (a ConfigMap deleted by
// hand in cluster A comes back), and once git answers again the next push is
// applied. A server that never finishes its answer (trickling bytes, so the
// connection is never idle) is only survivable with a deadline on every git
// call: that operator is started with --git-timeout 2s.
import { objectPath, withViews } from '../cluster-view.js';
import type { OperatorFault, ScenarioContext } from '../operator-scenario.js';
import { waitFor } from '../wait.js';

async function healsWhileGitIsDown(ctx: ScenarioContext): Promise<void> {
  const key = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ctx.def.ns, name: 'c-0' };
  await withViews([ctx.env.a], async ([a]) => {
    await a!.delete(objectPath(key));
    const healed = await waitFor(20_000, async () => !!(await a!.get(objectPath(key))));
    if (!healed) {
      ctx.outcome.lost += 1;
      ctx.outcome.notes.push(`${ctx.env.a.name} ConfigMap ${ctx.def.ns}/c-0 deleted by hand was not healed while git was down`);
    }
  });
}

function gitHangs(id: string, mode: 'stall' | 'trickle', args: string[]): OperatorFault {
  return {
    id,
    gitFront: true,
    heal: true,
    args,
    pushDuringFault: false,
    faulted: () => [],
    inject: async (ctx) => {
      await ctx.gitFront!.setMode(mode);
      // Only count the fault once the operator is really waiting on the hung server.
      if (!(await waitFor(15_000, () => ctx.gitFront!.stalledBytes() > 0 || !ctx.op.running))) ctx.outcome.problems.push('fault not exercised: no git request reached the hung server');
    },
    during: healsWhileGitIsDown,
    remove: async (ctx) => ctx.gitFront!.setMode('pass'),
  };
}

export const gitStalled = gitHangs('git-stalled', 'stall', []);
export const gitTrickling = gitHangs('git-trickle', 'trickle', ['--git-timeout', '2s']);

export const gitRefusing: OperatorFault = {
  id: 'git-refusing',
  gitFront: true,
  heal: true,
  pushDuringFault: false,
  faulted: () => [],
  inject: async (ctx) => ctx.gitFront!.setMode('refuse'),
  during: healsWhileGitIsDown,
  remove: async (ctx) => ctx.gitFront!.setMode('pass'),
};
