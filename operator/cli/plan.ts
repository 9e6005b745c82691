// gitfed plan: what apply would do, per cluster, checked by each apiserver
// with a server-side dry run. For a pull request (--repo --branch) the plan
// can be committed to Git for review (--commit); `gitfed plan verify` tells
// a CI job whether the committed plan is still current.
import { stringify } from 'yaml';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import type { GceEdge } from '../cluster/reconcile-types.js';
import { gceFromFlags, gceInventoryFromFlags, hazardOptions } from './gce-flags.js';
import { gceProjectReports, type ProjectReport } from '../gce/gce-report.js';
import { gceReportLines } from './gce-checks.js';
import { gceShardLines, leavingLines, staticIpLines } from './result-views.js';
import { reconcileFleet } from '../cluster/reconcile.js';
import { assignWaves } from '../core/rollout.js';
import { commitPlan, planBranch } from '../git/plan-branch.js';
import { buildPlan, planSummaryLine, type PlanDocument } from '../report/plan-document.js';
import { planMarkdown } from '../report/plan-markdown.js';
import { clusterDiff, planText } from '../report/plan-text.js';
import { maskResult } from '../report/secret-values.js';
import { parseCommandArgs, runCommand, UsageError } from './args.js';
import { COMMANDS } from './command-table.js';
import { kubeconfigPath } from './fleet-context.js';
import type { CliIO } from './main.js';
import { revisionFromDir, revisionFromRepo, type PlannedRevision } from './plan-source.js';
import { printFindings } from './print-findings.js';

const HELP = `usage: gitfed plan DIR --kubeconfig F [--context NAME]... [--age-key-file FILE] [--prune] [--allocations FILE] [--gce | --gce-endpoint URL] [--gce-timeout 20s]
         [--allow-shared-ingress-removal] [--allow-v2-naming] [--allow-health-check-divergence] [--output text|json|yaml|markdown]
       gitfed plan --repo URL --branch PR_BRANCH [--base main] [--path SUBDIR] --kubeconfig F [--commit] [--output ...]
       gitfed plan verify --repo URL --branch PR_BRANCH [--kubeconfig F]

Shows, per cluster: + create, ~ update (with the fields that change), - delete
(with --prune), ! blocked (and why), ! conflict (fields another field manager
owns). Every change is validated by the cluster's apiserver (server-side dry
run); nothing is written to any cluster. Secret values appear only as hashes.

With --repo: plans the head of PR_BRANCH (allocations from the operator's
status branch, --status-branch, default gitfed/status). --commit writes
PLAN.md, plan.json and clusters/<name>.diff to branch gitfed/plans/PR_BRANCH
(a new commit only when the plan changed; trailers Gitfed-Plan-For and
Gitfed-Plan-Base) and a one-line note on the head (refs/notes/gitfed-plan).

--gce / --gce-endpoint URL: also what Compute Engine says (read only): each
shard's backend health, the static IPs, the health-check firewall and the
orphaned GLBC resources. The --allow-* flags plan what apply would do with them.

Exit codes: 0 no changes, 2 changes, 1 errors, 3 blocked by a safety policy
(an unsafe GLBC uid change, a refused prune, an unreachable cluster),
4 (verify) the committed plan is stale.`;

export const PLAN_FLAGS = COMMANDS.plan.flags;

type PlanFormat = 'text' | 'json' | 'yaml' | 'markdown';

function planFormat(v: unknown): PlanFormat {
  const f = (v as string | undefined) ?? 'text';
  if (f === 'text' || f === 'json' || f === 'yaml' || f === 'markdown') return f;
  throw new UsageError(`gitfed plan: --output must be text, json, yaml or markdown, got "${f}"`);
}

/** What a plan may also do: ask Compute Engine (read only), and force past GLBC hazards as apply would. */
export interface PlanExtras {
  gce?: GceEdge;
  allowSharedIngressRemoval?: boolean;
  allowV2Naming?: boolean;
  allowHealthCheckDivergence?: boolean;
}

/** Plan a revision against every cluster (dry run). Shared with `plan verify`. */
export async function planRevision(rev: PlannedRevision, kubeconfig: string, prune: boolean, extras: PlanExtras = {}): Promise<{ result: ReconcileResult; plan: PlanDocument }> {
  const result = await reconcileFleet({ ...extras, fleet: rev.fleet, loadFindings: rev.loadFindings, kubeconfigPath: kubeconfig, allocations: rev.allocations, dryRun: true, reportConflicts: true, prune, writes: 'all' });
  const policy = rev.fleet.rolloutPolicy;
  const plan = buildPlan(result, { head: rev.head, fleet: rev.fleet.settings.name, prune, ...(policy ? { waves: assignWaves(policy, rev.fleet.clusters) } : {}), ...(rev.base ? { base: rev.base } : {}), ...(rev.branch ? { branch: rev.branch } : {}), ...(rev.baseBranch ? { baseBranch: rev.baseBranch } : {}) });
  return { result, plan };
}

/** The files of a committed plan. */
export function planFiles(plan: PlanDocument, next: string): Map<string, string> {
  const files = new Map<string, string>([['PLAN.md', planMarkdown(plan, next)], ['plan.json', JSON.stringify(plan, null, 2) + '\n']]);
  for (const c of plan.clusters) files.set(`clusters/${c.name}.diff`, clusterDiff(c));
  return files;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  if (argv[0] === 'verify') return (await import('./plan-verify.js')).run(argv.slice(1), io);
  return runCommand(io, HELP, argv, async () => {
    const { values, positionals } = parseCommandArgs<Record<string, unknown>>('plan', argv, PLAN_FLAGS as never);
    const format = planFormat(values.output);
    if (values.repo ? positionals.length !== 0 : positionals.length !== 1) throw new UsageError('gitfed plan: give a fleet DIR, or --repo URL --branch PR_BRANCH (not both)');
    if (values.commit && !values.repo) throw new UsageError('gitfed plan: --commit needs --repo and --branch');
    const kubeconfig = kubeconfigPath('plan', values, io);
    const rev = values.repo ? await revisionFromRepo(values, io) : await revisionFromDir(positionals[0]!, values, io);
    // With --gce/--gce-endpoint: static IPs looked up (never reserved), backend health per shard, firewall and orphans.
    const edge = gceFromFlags(values);
    const inventory = gceInventoryFromFlags(values);
    let result: ReconcileResult;
    let plan: PlanDocument;
    let projects: ProjectReport[] | undefined;
    try {
      ({ result, plan } = await planRevision(rev, kubeconfig, !!values.prune, { ...hazardOptions(values), ...(edge ? { gce: edge.edge } : {}) }));
      if (inventory && !result.renderFailed) projects = await gceProjectReports(inventory, rev.fleet, result);
    } finally {
      await edge?.close();
      await inventory?.close();
    }
    if (values.commit && rev.repo) {
      const again = `Refresh: \`gitfed plan --repo <url> --branch ${rev.branch} --kubeconfig <file> --commit\`; check: \`gitfed plan verify --repo <url> --branch ${rev.branch}\`.`;
      const r = await commitPlan({ ...rev.repo, prBranch: rev.branch! }, { files: planFiles(plan, again), summary: planSummaryLine(plan), head: plan.head, ...(plan.base ? { base: plan.base } : {}) });
      io.err(r.committed ? `plan committed to ${planBranch(rev.branch!)} (${r.oid!.slice(0, 7)})` : `plan unchanged on ${planBranch(rev.branch!)}: no new commit`);
    }
    const gce = projects ? { gceProjects: projects.map(({ resources: _r, ...p }) => p) } : {};
    if (format === 'json') io.out(JSON.stringify({ changes: plan.summary.changes, result: maskResult(result), plan, ...gce }, null, 2));
    else if (format === 'yaml') io.out(stringify({ changes: plan.summary.changes, result: maskResult(result), plan, ...gce }));
    else if (format === 'markdown') io.out(planMarkdown(plan));
    else {
      printFindings(io, result.findings.filter((f) => f.severity !== 'info'));
      if (!result.renderFailed) for (const l of planText(plan)) io.out(l);
      for (const l of leavingLines(result)) io.out(l);
      if (projects) {
        for (const l of gceShardLines(result)) io.out(l);
        for (const l of staticIpLines(result)) io.out(l);
        for (const l of gceReportLines(projects)) io.out(l);
      }
    }
    return plan.exitCode;
  });
}
