// The health-check firewall: Google's probers (130.211.0.0/22 and
// 35.191.0.0/16) must reach the federated node ports on every cluster's
// nodes, or the load balancer marks them UNHEALTHY and sends nothing there.
// GLBC makes k8s-fw-l7--<provider-uid> with its own nodes as targets; a rule
// without target tags admits them too. Pure: firewalls in, one check per cluster out.
import type { CloudResource } from './gce-orphans.js';

export const HEALTH_CHECK_RANGES = ['130.211.0.0/22', '35.191.0.0/16'];

export interface FirewallMember {
  cluster: string;
  project?: string;
  /** GLBC's firewall name for this cluster (k8s-fw-l7--<provider-uid>). */
  firewall: string;
  network?: string;
}

export interface FirewallCheck {
  verdict: 'OK' | 'FAIL';
  check: string;
  message: string;
  fix?: string;
}

interface Rule {
  name?: string; network?: string; direction?: string; disabled?: boolean; sourceRanges?: string[]; targetTags?: string[];
  allowed?: Array<{ IPProtocol?: string; ports?: string[] }>;
}

function portAllowed(rule: Rule, port: number): boolean {
  return (rule.allowed ?? []).some((a) => {
    if (a.IPProtocol !== 'tcp' && a.IPProtocol !== 'all') return false;
    if (!a.ports?.length) return true;
    return a.ports.some((p) => { const [lo, hi] = p.split('-').map(Number); return port >= lo! && port <= (hi ?? lo)!; });
  });
}

function admits(rule: Rule, port: number, network: string): boolean {
  if (rule.disabled || (rule.direction && rule.direction !== 'INGRESS')) return false;
  if (rule.network && !rule.network.endsWith(`/networks/${network}`)) return false;
  return HEALTH_CHECK_RANGES.every((r) => rule.sourceRanges?.includes(r)) && portAllowed(rule, port);
}

export function firewallChecks(firewalls: readonly CloudResource[], ports: readonly number[], members: readonly FirewallMember[]): FirewallCheck[] {
  if (ports.length === 0) return [];
  const rules = firewalls.filter((f) => f.collection === 'firewalls').map((f) => ({ name: f.name, ...(f.data as Rule) }));
  return members.map((m) => {
    const network = m.network ?? 'default';
    // GLBC's own rule for this cluster's nodes, or one that targets every instance on the network.
    const candidates = rules.filter((r) => r.name === m.firewall || !r.targetTags?.length);
    const missing = ports.filter((p) => !candidates.some((r) => admits(r, p, network)));
    if (missing.length === 0) return { verdict: 'OK' as const, check: 'firewall', message: `${m.cluster}: health checks (${HEALTH_CHECK_RANGES.join(', ')}) reach node port(s) ${ports.join(', ')} on network ${network}` };
    const exists = rules.some((r) => r.name === m.firewall);
    const project = m.project ? ` --project ${m.project}` : '';
    const allow = `--allow ${ports.map((p) => `tcp:${p}`).join(',')}`;
    const fix = exists
      ? `gcloud compute firewall-rules update ${m.firewall}${project} --source-ranges ${HEALTH_CHECK_RANGES.join(',')} ${allow}`
      : `gcloud compute firewall-rules create ${m.firewall}${project} --network ${network} --direction INGRESS --source-ranges ${HEALTH_CHECK_RANGES.join(',')} ${allow}`;
    return { verdict: 'FAIL' as const, check: 'firewall', message: `${m.cluster}: no firewall rule admits Google's health checks (${HEALTH_CHECK_RANGES.join(', ')}) to node port(s) ${missing.join(', ')} on network ${network}${exists ? ` (${m.firewall} exists but does not)` : ` (${m.firewall} is missing)`}: the load balancer marks this cluster's backends UNHEALTHY`, fix };
  });
}
