// gitfed status DIR --kubeconfig F: health, sync and drift per cluster and,
// per federated Ingress, what `kubectl describe ingress` showed in Federation v1.
import { reconcileFleet } from '../cluster/reconcile.js';
import { maskResult } from '../report/secret-values.js';
import { printStructured, runCommand } from './args.js';
import { fleetCommand, table } from './fleet-context.js';
import { printFindings } from './print-findings.js';
import { blockedLines, ingressLines, replicaLines, summaryRows } from './result-views.js';
import type { CliIO } from './main.js';
import { gceFromFlags, gceInventoryFromFlags } from './gce-flags.js';
import { gceReportLines } from './gce-checks.js';
import { gceProjectReports, type ProjectReport } from '../gce/gce-report.js';
import { gceIngressHealth, type GceBackendHealth } from '../gce/ingress-health.js';

const HELP = `usage: gitfed status DIR --kubeconfig F [--context NAME]... [--age-key-file FILE] [--allocations FILE] [--gce | --gce-endpoint URL] [--gce-timeout 20s] [--output text|json|yaml]

Per cluster: Ready / NotReady / Offline, objects in sync, drifted, missing;
per federated Ingress: address(es), GLBC backends and their health, ready
endpoints per cluster; drifted fields with the manager that changed them.
--gce asks Compute Engine (Application Default Credentials) for the health of
each GLBC backend service per cluster instance group (with the reason when one
is not HEALTHY), the reserved static IPs, the health-check firewall and the
orphaned GLBC resources no member cluster's uid owns (see gitfed gce gc); --gce-endpoint sends
those calls to another endpoint (a local one in tests).
Writes nothing. Exit codes: 0 all in sync and Ready, 3 something is not, 1 errors.`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const cmd = await fleetCommand('status', argv, io);
    const edge = gceFromFlags(cmd.values);
    let gce: GceBackendHealth[] | undefined;
    let projects: ProjectReport[] | undefined;
    let result;
    try {
      // With a GCE edge the shards carry their instance group's health and the static IPs are looked up (never reserved: status writes nothing).
      result = await reconcileFleet({ fleet: cmd.fleet, loadFindings: cmd.loadFindings, kubeconfigPath: cmd.kubeconfig, allocations: cmd.allocations, dryRun: true, prune: false, writes: 'none', ...(edge ? { gce: edge.edge } : {}) });
      if (edge) {
        // From the shards' getHealth answers: one call per backend service.
        gce = gceIngressHealth(result.gceBackendHealth ?? [], result.ingresses, cmd.fleet.clusters);
        const inv = gceInventoryFromFlags(cmd.values)!;
        try { projects = await gceProjectReports(inv, cmd.fleet, result); } finally { await inv.close(); }
      }
    } finally {
      await edge?.close();
    }
    const degraded = result.clusters.some((c) => !c.skipped && (c.health !== 'Ready' || c.counts.drifted + c.counts.missing + c.counts.failed > 0 || c.objects.some((o) => o.action === 'skipped'))) || result.clusters.some((c) => c.skipped === 'unreachable');
    const code = result.renderFailed ? 1 : degraded ? 3 : 0;
    if (printStructured(io, cmd.format, gce ? { ...maskResult(result), gce, gceProjects: (projects ?? []).map(({ resources: _r, ...p }) => p) } : maskResult(result))) return code;
    printFindings(io, result.findings.filter((f) => f.severity !== 'info'));
    io.out(table(summaryRows(result)));
    for (const l of replicaLines(result)) io.out(l);
    for (const l of ingressLines(result)) io.out(l);
    for (const g of gce ?? []) {
      io.out(`GCE backend service ${g.backendService} (Ingress ${g.ingress}): ${g.error ? `error: ${g.error}` : g.shards.map((s) => `${s.cluster} ${s.state} ${s.healthy}/${s.total}`).join(', ') || 'no instance groups yet'}`);
    }
    for (const l of gceReportLines(projects ?? [])) io.out(l);
    for (const c of result.clusters) {
      if (c.health !== 'Ready') io.out(`cluster ${c.cluster}: ${c.health} (${c.reason}): ${c.message}`);
      for (const d of c.drift) {
        io.out(`drift ${c.cluster} ${d.ref.kind} ${d.ref.namespace ? `${d.ref.namespace}/` : ''}${d.ref.name}${d.kind === 'deleted' ? ': deleted by hand' : ''} (policy: ${d.mode})`);
        for (const f of d.fields) io.out(`    ${f.path}: git=${JSON.stringify(f.git)} live=${JSON.stringify(f.live)}${f.manager ? ` (changed by ${f.manager})` : ''}`);
      }
      for (const o of c.objects.filter((x) => x.action === 'skipped' && !x.diff)) io.out(`missing ${c.cluster} ${o.ref.kind} ${o.ref.namespace ? `${o.ref.namespace}/` : ''}${o.ref.name}`);
      for (const e of c.errors) io.err(`error: ${e}`);
    }
    for (const l of blockedLines(result)) io.out(l);
    return code;
  });
}
