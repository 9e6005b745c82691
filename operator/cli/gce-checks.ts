// doctor's Compute Engine checks (with --gce/--gce-endpoint): backend health
// per cluster next to ready endpoints, the health-check firewall, the static
// IPs, and the orphaned resources a uid change or a removed cluster left.
import type { Check } from '../cluster/doctor-checks.js';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import { describeCloudResource } from '../core/gce-orphans.js';
import type { ProjectReport } from '../gce/gce-report.js';
import { gceText } from '../report/gce-text.js';

export function gceChecks(result: ReconcileResult, reports: readonly ProjectReport[], gcCommand: string): Check[] {
  const checks: Check[] = [];
  // A cluster whose health-check firewall fails: its UNHEALTHY backends with ready endpoints are explained by that.
  const noFirewall = new Set(reports.flatMap((r) => r.firewall.filter((f) => f.verdict === 'FAIL').map((f) => f.message.split(':')[0]!)));
  for (const i of result.ingresses) {
    const name = `${i.ref.namespace}/${i.ref.name}`;
    for (const s of i.staticIps ?? []) {
      if (s.error) checks.push({ verdict: 'FAIL', check: 'static-ip', message: `Ingress ${name}: ${s.name}: ${s.error}` });
      else if (!s.address) checks.push({ verdict: 'FAIL', check: 'static-ip', message: `Ingress ${name}: global address ${s.name} is not reserved in project ${s.project}`, fix: `gitfed apply DIR --gce reserves it (or: gcloud compute addresses create ${s.name} --global --project ${s.project})` });
      else checks.push({ verdict: 'OK', check: 'static-ip', message: `Ingress ${name}: ${s.name} is ${s.address} in project ${s.project}` });
    }
    for (const x of i.shards) {
      if (!x.gce) continue;
      const where = `Ingress ${name} in ${x.cluster}: backend ${x.gce.backendService} ${gceText(x.gce)}, endpoints ${x.readyEndpoints}/${x.totalEndpoints} ready`;
      if (x.gce.state === 'HEALTHY') checks.push({ verdict: 'OK', check: 'gce-backend', message: where });
      else {
        const why = x.gce.state === 'UNHEALTHY' && x.readyEndpoints > 0 && noFirewall.has(x.cluster) ? ': firewall missing (see the firewall check)' : '';
        checks.push({ verdict: x.gce.state === 'UNKNOWN' || x.gce.state === 'ERROR' ? 'WARN' : 'FAIL', check: 'gce-backend', message: `${where}: Google sends this cluster no traffic${why}` });
      }
    }
  }
  for (const r of reports) {
    if (r.error) { checks.push({ verdict: 'FAIL', check: 'gce', message: `project ${r.project}: ${r.error}` }); continue; }
    checks.push(...r.firewall);
    if (r.orphans.unknown.length) checks.push({ verdict: 'WARN', check: 'orphans', message: `project ${r.project}: not checked: the GLBC uid of ${r.orphans.unknown.join(', ')} is not known (cluster unreachable, or no kube-system/ingress-uid yet), and a resource could be theirs` });
    for (const o of r.orphans.orphans) {
      checks.push({ verdict: o.blocks ? 'FAIL' : 'WARN', check: 'orphans', message: `project ${r.project}: ${describeCloudResource(o.resource)}: ${o.reason}${o.blocks ? `; ${o.blocks}` : ''}`, fix: gcCommand });
    }
    if (!r.orphans.unknown.length && !r.orphans.orphans.length) checks.push({ verdict: 'OK', check: 'orphans', message: `project ${r.project}: no GLBC resources left by another uid` });
  }
  return checks;
}

/** status's lines: one per orphan, and the firewall failures. */
export function gceReportLines(reports: readonly ProjectReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    if (r.error) out.push(`GCE project ${r.project}: error: ${r.error}`);
    for (const f of r.firewall.filter((c) => c.verdict === 'FAIL')) out.push(`GCE firewall: ${f.message}`);
    for (const o of r.orphans.orphans) out.push(`GCE orphan ${r.project} ${describeCloudResource(o.resource)}: ${o.reason}${o.blocks ? `; ${o.blocks}` : ''}`);
  }
  return out;
}
