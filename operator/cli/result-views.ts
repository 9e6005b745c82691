// Text views of a reconcile result shared by apply, status and the operator's report.
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import { gceText, staticIpText } from '../report/gce-text.js';

export function summaryRows(r: ReconcileResult): string[][] {
  const rows = [['CLUSTER', 'STATUS', 'IN-SYNC', 'CHANGED', 'DRIFTED', 'MISSING', 'PRUNED', 'FAILED', 'BLOCKED']];
  for (const c of r.clusters) {
    rows.push([
      c.cluster, c.skipped === 'paused' ? 'Paused' : c.health === 'Unknown' ? `Unknown (${c.reason})` : c.health,
      String(c.counts.inSync), String(c.counts.changed), String(c.counts.drifted), String(c.counts.missing),
      String(c.pruned.filter((p) => p.action !== 'failed').length), String(c.counts.failed), String(c.blocked.length),
    ]);
  }
  return rows;
}

/** Objects the render core refused to write in a cluster, and why (e.g. "could not observe Ingresses: ..."). */
export function blockedLines(r: ReconcileResult): string[] {
  return r.clusters.flatMap((c) => c.blocked.map((b) => `blocked ${c.cluster} ${b.ref.kind} ${b.ref.namespace ? `${b.ref.namespace}/` : ''}${b.ref.name}: ${b.finding.message}`));
}

/** The step each cluster leaving (or rejoining) a shared load balancer made this pass (core/leaving.ts). */
export function leavingLines(r: ReconcileResult): string[] {
  return r.clusters.filter((c) => c.leaving).map((c) => `leaving ${c.cluster}: ${c.leaving!.message}`);
}

/** One line per static IP gitfed reserved or looked up (with --gce / --gce-endpoint). */
export function staticIpLines(r: ReconcileResult): string[] {
  return r.ingresses.flatMap((i) => (i.staticIps ?? []).map((s) => `static IP ${s.name}${s.project ? ` (project ${s.project})` : ''} for Ingress ${i.ref.namespace}/${i.ref.name}: ${staticIpText(s)}`));
}

export function replicaLines(r: ReconcileResult): string[] {
  return r.replicas.map((d) => {
    const parts = Object.entries(d.plan).map(([c, n]) => `${c}=${n}${d.overflow[c] ? ` (full: ${d.overflow[c]} moved)` : ''}`);
    return `replicas ${d.ref.namespace}/${d.ref.name} (${d.total}): ${parts.join(' ')}${d.blocked ? ` (held as it runs: the workloads of ${d.blocked.cluster} were not observed)` : ''}`;
  });
}

/** One line per shard Compute Engine reported on (plan --gce). */
export function gceShardLines(r: ReconcileResult): string[] {
  return r.ingresses.flatMap((i) => i.shards.filter((s) => s.gce).map((s) => `GCE backend ${s.gce!.backendService} (Ingress ${i.ref.namespace}/${i.ref.name}) in ${s.cluster}: ${gceText(s.gce!)}, endpoints ${s.readyEndpoints}/${s.totalEndpoints} ready`));
}

export function ingressLines(r: ReconcileResult): string[] {
  const out: string[] = [];
  for (const i of r.ingresses) {
    out.push(`Ingress ${i.ref.namespace}/${i.ref.name}`);
    out.push(`  Address:    ${i.addresses.join(', ') || '(none yet)'}${i.addresses.length > 1 ? '  (WARNING: clusters report different addresses)' : ''}`);
    if (i.staticIp) out.push(`  Static IP:  ${i.staticIp}${i.staticIps?.length ? ` ${i.staticIps.map((s) => staticIpText(s)).join(', ')}` : ''}`);
    const backends = new Set(i.shards.flatMap((s) => Object.keys(s.backends)));
    out.push(`  Backends:   ${[...backends].join(', ') || '(none reported by GLBC yet)'}${backends.size > 1 ? '  (WARNING: clusters do not share one backend)' : ''}`);
    out.push('  Shards:');
    for (const s of i.shards) {
      const health = Object.values(s.backends).join(',') || 'Unknown';
      out.push(`    ${s.cluster.padEnd(16)} ip=${s.ips.join(',') || '-'}  backend=${health}  endpoints=${s.readyEndpoints}/${s.totalEndpoints} ready${s.gce ? `  gce=${gceText(s.gce)}` : ''}`);
    }
  }
  return out;
}

