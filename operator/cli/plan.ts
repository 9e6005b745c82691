// gitfed plan DIR --kubeconfig F: what apply would do, per cluster, checked
// by each apiserver with a server-side dry run. Exit 0 no changes, 2 changes, 1 errors.
import { formatPath } from '../core/diff.js';
import { hasErrors } from '../core/model.js';
import { reconcileFleet } from '../cluster/reconcile.js';
import { printStructured, runCommand } from './args.js';
import { fleetCommand } from './fleet-context.js';
import { printFindings } from './print-findings.js';
import { replicaLines } from './result-views.js';
import type { CliIO } from './main.js';

const HELP = `usage: gitfed plan DIR --kubeconfig F [--context NAME]... [--prune] [--allocations FILE] [--output text|json|yaml]

Shows, per cluster: + create, ~ update (with the fields that change), - delete
(with --prune), ! blocked (and why). Every change is validated by the cluster's
apiserver (server-side dry run); nothing is written.
Exit codes: 0 no changes, 2 changes, 1 errors.`;

const short = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v).slice(0, 80));

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const cmd = await fleetCommand('plan', argv, io);
    const result = await reconcileFleet({ fleet: cmd.fleet, loadFindings: cmd.loadFindings, kubeconfigPath: cmd.kubeconfig, allocations: cmd.allocations, dryRun: true, prune: !!cmd.values.prune, writes: 'all' });
    const changes = result.clusters.reduce((n, c) => n + c.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'failed').length + c.pruned.length, 0);
    const errors = result.renderFailed || hasErrors(result.findings) || result.clusters.some((c) => c.errors.length > 0);
    const code = errors ? 1 : changes > 0 ? 2 : 0;
    if (printStructured(io, cmd.format, { changes, result })) return code;
    printFindings(io, result.findings.filter((f) => f.severity !== 'info'));
    if (result.renderFailed) return 1;
    for (const c of result.clusters) {
      io.out(`cluster ${c.cluster} (${c.skipped ? `${c.health}, skipped: ${c.skipped}` : c.health})`);
      for (const o of c.objects) {
        const name = `${o.ref.kind} ${o.ref.namespace ? `${o.ref.namespace}/` : ''}${o.ref.name}`;
        if (o.action === 'created') io.out(`  + create ${name}`);
        else if (o.action === 'updated' || o.action === 'adopted') {
          io.out(`  ~ ${o.action === 'adopted' ? 'adopt' : 'update'} ${name}`);
          for (const d of o.diff ?? []) io.out(`      ${formatPath(d.path)}: ${short(d.have)} -> ${short(d.want)}`);
        } else if (o.action === 'failed') io.out(`  ! ${name}: ${o.error}`);
      }
      for (const p of c.pruned) io.out(`  - delete ${p.ref.kind} ${p.ref.namespace ? `${p.ref.namespace}/` : ''}${p.ref.name}`);
      for (const b of c.blocked) io.out(`  ! blocked ${b.ref.kind} ${b.ref.namespace ? `${b.ref.namespace}/` : ''}${b.ref.name}: ${b.finding.message}`);
      for (const e of c.errors) io.err(`  error: ${e}`);
    }
    for (const l of replicaLines(result)) io.out(l);
    io.out(changes === 0 ? 'no changes' : `${changes} change(s)`);
    return code;
  });
}
