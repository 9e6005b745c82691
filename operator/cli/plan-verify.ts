// gitfed plan verify: is the plan committed for a pull request still the
// plan of its head, against the clusters as they are now? A CI job makes
// this a required check: exit 4 (stale) until `plan --commit` runs again.
import { existsSync } from 'node:fs';
import { planBranch, readCommittedPlan } from '../git/plan-branch.js';
import { redact } from '../git/credentials.js';
import { PLAN_EXIT, type PlanDocument } from '../report/plan-document.js';
import { parseCommandArgs, runCommand, UsageError } from './args.js';
import { kubeconfigCandidate } from './fleet-context.js';
import { cloneDir, gitAuth, gitAuthor } from './git-flags.js';
import type { CliIO } from './main.js';
import { hazardOptions } from './gce-flags.js';
import { PLAN_FLAGS, planRevision } from './plan.js';
import { revisionFromRepo } from './plan-source.js';

const HELP = `usage: gitfed plan verify --repo URL --branch PR_BRANCH [--base main] [--path SUBDIR] [--kubeconfig F]

Exit 0 when the plan committed on gitfed/plans/PR_BRANCH is current: it was
made for the branch's head and, when a kubeconfig is available (--kubeconfig,
$KUBECONFIG or ~/.kube/config), planning again against the clusters gives the
same changes (with --prune when the plan was made with it). Exit 4 when it
is stale (or missing), 1 on errors.`;

/** Per cluster: what it would see (health and the hashes of its actions). */
function clusterKeys(p: PlanDocument): Map<string, string> {
  return new Map(p.clusters.map((c) => [c.name, JSON.stringify([c.health, c.skipped ?? null, c.pruneRefused ?? null, c.errors, c.actions.map((a) => a.hash)])]));
}

export function changedClusters(committed: PlanDocument, now: PlanDocument): string[] {
  const a = clusterKeys(committed);
  const b = clusterKeys(now);
  return [...new Set([...a.keys(), ...b.keys()])].filter((n) => a.get(n) !== b.get(n)).sort();
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const { values, positionals } = parseCommandArgs<Record<string, unknown>>('plan verify', argv, PLAN_FLAGS as never);
    if (positionals.length || !values.repo || !values.branch) throw new UsageError('gitfed plan verify: needs --repo URL and --branch PR_BRANCH');
    const url = values.repo as string;
    const prBranch = values.branch as string;
    const auth = gitAuth(io, values);
    const text = await readCommittedPlan({ dir: cloneDir(io, url, values['work-dir'] as string | undefined), url, prBranch, author: gitAuthor(values), ...(auth ? { auth } : {}) })
      .catch((e) => { throw new UsageError(`gitfed plan verify: cannot read ${planBranch(prBranch)} of ${redact(url, auth)}: ${redact((e as Error).message, auth)}`); });
    if (text === undefined) {
      io.out(`stale: no plan committed on ${planBranch(prBranch)} yet; run gitfed plan --repo ... --branch ${prBranch} --commit`);
      return PLAN_EXIT.stale;
    }
    const committed = JSON.parse(text) as PlanDocument;
    const rev = await revisionFromRepo(values, io);
    if (committed.head !== rev.head) {
      io.out(`stale: the plan is for ${committed.head.slice(0, 7)} but ${prBranch} is at ${rev.head.slice(0, 7)}; run plan --commit again`);
      return PLAN_EXIT.stale;
    }
    const kubeconfig = kubeconfigCandidate(values, io);
    if (!existsSync(kubeconfig)) {
      io.err('clusters not checked: no kubeconfig (pass --kubeconfig to also check that no cluster changed under the plan)');
      io.out(`current: the plan is for ${rev.head.slice(0, 7)}, the head of ${prBranch}`);
      return 0;
    }
    // The same --allow-* flags as the plan it checks: without them the hazards it forced would read as a change.
    const { plan } = await planRevision(rev, kubeconfig, committed.prune ?? !!values.prune, hazardOptions(values));
    if (plan.fingerprint !== committed.fingerprint) {
      const changed = changedClusters(committed, plan);
      io.out(`stale: ${changed.length ? `cluster(s) ${changed.join(', ')} changed under the plan` : 'the plan changed (findings or replicas)'}; run plan --commit again`);
      return PLAN_EXIT.stale;
    }
    io.out(`current: the plan is for ${rev.head.slice(0, 7)}, the head of ${prBranch}, and every cluster still matches it`);
    return 0;
  });
}
