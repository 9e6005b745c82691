// gitfed gce gc DIR --kubeconfig F (--gce | --gce-endpoint URL) [--yes]:
// deletes the GLBC resources no member cluster owns any more (left by a uid
// change or a removed cluster; GLBC only ever collects its CURRENT uid's
// names). Without --yes it only prints them. A resource whose uid a member
// cluster still uses is never touched, and nothing is deleted while any
// member's uid cannot be read.
import { gceInventoryFromFlags } from './gce-flags.js';
import { reconcileFleet } from '../cluster/reconcile.js';
import { describeCloudResource, type Orphan } from '../core/gce-orphans.js';
import { gceProjectReports } from '../gce/gce-report.js';
import { GC_ORDER } from '../gce/inventory.js';
import { printStructured, runCommand, UsageError } from './args.js';
import { fleetCommand } from './fleet-context.js';
import type { CliIO } from './main.js';

const HELP = `usage: gitfed gce gc DIR --kubeconfig F (--gce | --gce-endpoint URL) [--context NAME]... [--yes] [--output text|json|yaml]

Lists the Compute Engine resources GLBC made under a uid no member cluster
uses any more (names ending --<uid>), and k8s-fw-l7--<x> firewalls whose x is
no member's provider-uid; with --yes deletes them, in dependency order
(forwarding rules first, instance groups and firewalls last). The members'
uids are read from each cluster's kube-system/ingress-uid; while one cannot be
read, nothing is deleted. --gce uses Application Default Credentials;
--gce-endpoint sends the calls to another endpoint.
Exit codes: 0 nothing left to delete (or all deleted), 1 errors, 2 bad usage.`;

const rank = (o: Orphan) => GC_ORDER.indexOf(o.resource.collection as (typeof GC_ORDER)[number]);

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const [sub, ...rest] = argv;
    if (sub !== 'gc') throw new UsageError(`gitfed gce: unknown subcommand "${sub ?? ''}" (expected: gc)`);
    const cmd = await fleetCommand('gce', rest, io);
    if (!cmd.values.gce && !cmd.values['gce-endpoint']) throw new UsageError('gitfed gce gc: give --gce (Application Default Credentials) or --gce-endpoint URL');
    const result = await reconcileFleet({ fleet: cmd.fleet, loadFindings: cmd.loadFindings, kubeconfigPath: cmd.kubeconfig, allocations: cmd.allocations, dryRun: true, prune: false, writes: 'none' });
    const inv = gceInventoryFromFlags(cmd.values)!;
    try {
      // Owners come from the WHOLE fleet: a cluster --context left out was not
      // observed, so its uid is unknown and nothing is deleted in its project
      // (its live firewall would otherwise look like no member's).
      const reports = await gceProjectReports(inv, { ...cmd.fleet, clusters: cmd.allClusters }, result);
      const yes = !!cmd.values.yes;
      const done: Array<{ project: string; resource: string; reason: string; action: 'would delete' | 'deleted' | 'failed' | 'kept'; error?: string }> = [];
      const errors: string[] = [];
      for (const r of reports) {
        if (r.error) { errors.push(`project ${r.project}: ${r.error}`); continue; }
        if (r.orphans.unknown.length) { errors.push(`project ${r.project}: nothing deleted: the GLBC uid of ${r.orphans.unknown.join(', ')} is not known (cluster unreachable, left out by --context, or no kube-system/ingress-uid yet), and a resource could be theirs`); continue; }
        for (const o of [...r.orphans.orphans].sort((a, b) => rank(a) - rank(b))) {
          const entry = { project: r.project, resource: describeCloudResource(o.resource), reason: o.reason + (o.blocks ? `; ${o.blocks}` : '') };
          // Its uid is still in use elsewhere (the shared backend service may still list it): shown, never deleted.
          if (o.uidInUseBy) { done.push({ ...entry, action: 'kept', reason: `${entry.reason}; not deleted: uid still used by ${o.uidInUseBy.join(', ')} (take this group out of that uid's backend services first)` }); continue; }
          if (!yes) { done.push({ ...entry, action: 'would delete' }); continue; }
          try {
            await inv.remove(r.project, o.resource);
            done.push({ ...entry, action: 'deleted' });
          } catch (e) {
            done.push({ ...entry, action: 'failed', error: (e as Error).message });
            errors.push((e as Error).message);
          }
        }
      }
      const code = errors.length ? 1 : 0;
      if (printStructured(io, cmd.format, { orphans: done, errors })) return code;
      for (const d of done) io.out(`${d.action} ${d.project} ${d.resource}: ${d.reason}${d.error ? ` (${d.error})` : ''}`);
      if (done.length === 0 && errors.length === 0) io.out('no orphaned GLBC resources');
      const deletable = done.filter((d) => d.action === 'would delete').length;
      if (!yes && deletable) io.out(`(nothing deleted: run again with --yes to delete these ${deletable})`);
      for (const e of errors) io.err(`error: ${e}`);
      return code;
    } finally {
      await inv.close();
    }
  });
}
