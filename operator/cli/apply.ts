// gitfed apply DIR --kubeconfig F [--prune] [--dry-run]
import { hasErrors } from '../core/model.js';
import { closeAll, connect, InClusterRefused } from '../cluster/connect.js';
import { podEnvironment } from '../cluster/in-cluster.js';
import { reconcileFleet } from '../cluster/reconcile.js';
import { maskResult } from '../report/secret-values.js';
import { printStructured, runCommand } from './args.js';
import { fleetCommand, saveAllocations, table } from './fleet-context.js';
import { printFindings } from './print-findings.js';
import type { CliIO } from './main.js';
import { blockedLines, leavingLines, summaryRows, replicaLines, staticIpLines } from './result-views.js';
import { gceFromFlags, hazardOptions } from './gce-flags.js';

const HELP = `usage: gitfed apply DIR --kubeconfig F [--context NAME]... [--age-key-file FILE] [--prune] [--prune-all] [--dry-run] [--allow-in-cluster] [--allow-shared-ingress-removal] [--allow-v2-naming] [--allow-health-check-divergence] [--allocations FILE] [--gce | --gce-endpoint URL] [--gce-timeout 20s] [--output text|json|yaml]

Renders the fleet and server-side applies it (field manager "gitfed") to every
member cluster; adopts same-name objects; with --prune deletes what this fleet
owns but no longer renders (refusing to delete everything unless --prune-all).
A federated GCE Ingress that one cluster leaves while others keep it is taken
out by steps, one per apply (drain, re-key its GLBC uid, delete), so the shared
load balancer never goes down; --allow-shared-ingress-removal deletes it at
once (an outage). An Ingress a cluster's GLBC names with v2 (k8s2-) names is
not applied there unless --allow-v2-naming.
Nothing is applied anywhere when the fleet has load or render errors, or when
a Cluster's context is gitfed's own in-cluster identity (unless --allow-in-cluster).
--gce (Application Default Credentials) or --gce-endpoint URL: before an
Ingress is applied, the global address its kubernetes.io/ingress.global-static-ip-name
names is reserved in its Clusters' spec.gce.project if missing; when that
fails the Ingress is blocked (the rest is applied) and the error says why.
Exit codes: 0 applied, 1 errors (some cluster or object failed), 2 bad usage.`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const cmd = await fleetCommand('apply', argv, io);
    if (hasErrors(cmd.loadFindings)) {
      printFindings(io, cmd.loadFindings);
      io.err('nothing applied: the fleet has errors');
      return 1;
    }
    const conns = await connect(cmd.kubeconfig, cmd.fleet.clusters, undefined, cmd.values['allow-in-cluster'] ? {} : { refuseInCluster: podEnvironment(io.env) });
    const refused = [...conns.values()].filter((c): c is InClusterRefused => c instanceof InClusterRefused);
    if (refused.length > 0) {
      closeAll(conns);
      for (const r of refused) io.err(`error: ${r.message}`);
      io.err('nothing applied');
      return 1;
    }
    const gce = cmd.values['dry-run'] ? undefined : gceFromFlags(cmd.values);
    let result;
    try {
      result = await reconcileFleet({
        ...(gce ? { gce: gce.edge } : {}),
        fleet: cmd.fleet, loadFindings: cmd.loadFindings, kubeconfigPath: cmd.kubeconfig, allocations: cmd.allocations, connections: conns,
        ...hazardOptions(cmd.values),
        dryRun: !!cmd.values['dry-run'], prune: !!cmd.values.prune || !!cmd.values['prune-all'], pruneAll: !!cmd.values['prune-all'], writes: 'all',
      });
    } finally {
      closeAll(conns);
      await gce?.close();
    }
    if (!result.renderFailed && !cmd.values['dry-run']) await saveAllocations(cmd, result.allocations);
    // An Ingress held back because its static IP could not be reserved, or not pruned because others share it, is a failure of this apply (the rest was applied).
    const unreserved = result.clusters.some((c) => c.blocked.some((b) => b.finding.code === 'StaticIpNotReserved' || b.finding.code === 'SharedIngressRemoval' || b.finding.code === 'GlbcV2Naming'));
    const failed = unreserved || result.renderFailed || result.clusters.some((c) => c.errors.length > 0 || c.counts.failed > 0) || hasErrors(result.findings);
    if (printStructured(io, cmd.format, maskResult(result))) return failed ? 1 : 0;
    printFindings(io, result.findings.filter((f) => f.severity !== 'info'));
    if (result.renderFailed) { io.err('nothing applied: the fleet has errors'); return 1; }
    io.out(table(summaryRows(result)));
    for (const l of replicaLines(result)) io.out(l);
    for (const l of staticIpLines(result)) io.out(l);
    for (const l of leavingLines(result)) io.out(l);
    for (const l of blockedLines(result)) io.out(l);
    for (const c of result.clusters) {
      for (const o of c.objects.filter((x) => x.action === 'adopted')) io.out(`adopted ${c.cluster} ${o.ref.kind} ${o.ref.namespace ? `${o.ref.namespace}/` : ''}${o.ref.name} (it existed; now managed by gitfed)`);
      for (const e of c.errors) io.err(`error: ${e}`);
    }
    if (cmd.values['dry-run']) io.out('(dry run: the apiservers validated every change; nothing was written)');
    return failed ? 1 : 0;
  });
}
