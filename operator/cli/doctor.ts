// gitfed doctor DIR --kubeconfig F: one line per check, a verdict and a fix.
import { closeAll, connect } from '../cluster/connect.js';
import { fleetChecks, permissionChecks, type Check } from '../cluster/doctor-checks.js';
import { reconcileFleet } from '../cluster/reconcile.js';
import { namingChecks } from '../cluster/glbc-hazards.js';
import { printStructured, runCommand } from './args.js';
import { fleetCommand } from './fleet-context.js';
import { printFindings } from './print-findings.js';
import type { CliIO } from './main.js';
import { gceFromFlags, gceInventoryFromFlags } from './gce-flags.js';
import { gceChecks } from './gce-checks.js';
import { gceProjectReports } from '../gce/gce-report.js';

const HELP = `usage: gitfed doctor DIR --kubeconfig F [--context NAME]... [--age-key-file FILE] [--gce | --gce-endpoint URL] [--gce-timeout 20s] [--output text|json|yaml]

Checks what broke federated Ingress in practice: clusters registered and
Ready; gitfed's own permissions (SelfSubjectAccessReview); node ports and the
GLBC uid identical across clusters, provider-uids unique; Ingresses that
existed before the uid was set; Ingress class and static IP; Services behind
Ingresses of type NodePort; ready endpoints in every cluster.
With --gce (Application Default Credentials) or --gce-endpoint URL, also from
Compute Engine: each cluster's backend health with the reason when unhealthy,
the static IPs, the health-check firewall (FAIL with the gcloud command that
fixes it) and the resources no member cluster's uid owns any more (orphans).
Exit codes: 0 no FAIL, 1 at least one FAIL, 2 bad usage.`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const cmd = await fleetCommand('doctor', argv, io);
    const conns = await connect(cmd.kubeconfig, cmd.fleet.clusters);
    const gce = gceFromFlags(cmd.values);
    try {
      const result = await reconcileFleet({ fleet: cmd.fleet, loadFindings: cmd.loadFindings, kubeconfigPath: cmd.kubeconfig, allocations: cmd.allocations, dryRun: true, prune: false, writes: 'none', connections: conns, ...(gce ? { gce: gce.edge } : {}) });
      const checks: Check[] = [];
      if (result.renderFailed) checks.push({ verdict: 'FAIL', check: 'fleet', message: 'the fleet repo has errors (listed above)', fix: 'run gitfed validate DIR and fix each file:line' });
      checks.push(...fleetChecks(cmd.fleet, result), ...namingChecks(result));
      for (const c of result.clusters) {
        const conn = conns.get(c.cluster);
        if (conn && !(conn instanceof Error) && c.health === 'Ready') checks.push(...(await permissionChecks(conn)));
      }
      if (gce) {
        const inv = gceInventoryFromFlags(cmd.values)!;
        try {
          checks.push(...gceChecks(result, await gceProjectReports(inv, cmd.fleet, result), `gitfed gce gc DIR --kubeconfig F ${cmd.values['gce-endpoint'] ? `--gce-endpoint ${String(cmd.values['gce-endpoint'])}` : '--gce'} --yes`));
        } finally {
          await inv.close();
        }
      }
      const failed = checks.some((c) => c.verdict === 'FAIL');
      if (printStructured(io, cmd.format, { checks })) return failed ? 1 : 0;
      printFindings(io, result.findings.filter((f) => f.severity === 'error'));
      for (const c of checks) io.out(`${c.verdict.padEnd(4)} ${c.check.padEnd(11)} ${c.message}${c.fix ? `\n     ${''.padEnd(11)} fix: ${c.fix}` : ''}`);
      return failed ? 1 : 0;
    } finally {
      closeAll(conns);
      await gce?.close();
    }
  });
}
