// The fleet seen from Compute Engine, for doctor, status and `gce gc`: per
// project the GLBC resources, the orphans no member cluster owns, and the
// health-check firewall per cluster. Member uids come from the clusters
// themselves (kube-system/ingress-uid), never guessed.
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import { firewallChecks, type FirewallCheck } from '../core/gce-firewall.js';
import { findOrphans, type CloudResource, type MemberUid, type OrphanReport } from '../core/gce-orphans.js';
import { glbcNames } from '../core/glbc-names.js';
import type { Fleet } from '../core/model.js';
import type { GceInventory } from './inventory.js';

export interface ProjectReport {
  project: string;
  resources: CloudResource[];
  orphans: OrphanReport;
  firewall: FirewallCheck[];
  error?: string;
}

/** Node ports behind the federated Ingresses, from the GLBC backend names the clusters report. */
export function federatedPorts(result: ReconcileResult): number[] {
  const ports = new Set<number>();
  for (const i of result.ingresses) for (const s of i.shards) for (const b of Object.keys(s.backends)) { const m = /^k8s-be-(\d+)--/.exec(b); if (m) ports.add(Number(m[1])); }
  return [...ports].sort((a, b) => a - b);
}

export async function gceProjectReports(inv: GceInventory, fleet: Fleet, result: ReconcileResult): Promise<ProjectReport[]> {
  const gceClusters = fleet.clusters.filter((c) => c.provider === 'gce');
  const projects = [...new Set(gceClusters.map((c) => c.gce?.project).filter((p): p is string => !!p))].sort();
  const ports = federatedPorts(result);
  const out: ProjectReport[] = [];
  for (const project of projects) {
    const specs = gceClusters.filter((c) => c.gce?.project === project);
    const members: MemberUid[] = specs.map((c) => {
      const u = result.clusters.find((r) => r.cluster === c.name)?.ingressUid;
      return { cluster: c.name, ...(u?.uid ? { uid: u.uid } : {}), ...(u?.providerUid ? { providerUid: u.providerUid } : {}), ...(c.gce?.zone ? { zone: c.gce.zone } : {}) };
    });
    let resources: CloudResource[];
    try {
      resources = await inv.list(project, specs.map((c) => c.gce?.zone).filter((z): z is string => !!z));
    } catch (e) {
      out.push({ project, resources: [], orphans: { orphans: [], unknown: [] }, firewall: [], error: (e as Error).message });
      continue;
    }
    const firewall = firewallChecks(resources, ports, members.filter((m) => m.uid).map((m) => {
      // The network of the cluster's own instance group, when GLBC has made it.
      const ig = resources.find((r) => r.collection === 'instanceGroups' && r.zone === m.zone && r.name === glbcNames(m.uid!, m.providerUid).instanceGroup);
      const network = typeof ig?.data?.network === 'string' ? ig.data.network.split('/').pop() : undefined;
      return { cluster: m.cluster, project, firewall: glbcNames(m.uid!, m.providerUid).firewall, ...(network ? { network } : {}) };
    }));
    out.push({ project, resources, orphans: findOrphans(resources, members), firewall });
  }
  return out;
}
