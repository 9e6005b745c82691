// What Google's health checkers would find for one instance of a backend
// service's instance group, since nothing here probes a node. Three things
// must hold, as on Google: the probes reach the node at all (the cluster is
// reachable: a stopped or paused cluster answers nothing), a firewall rule
// lets Google's probers (130.211.0.0/22 and 35.191.0.0/16) in on the serving
// port for that instance's network and tags, and the serving pods are ready
// (what GLBC's stand-in reports from the cluster's ready endpoints). The
// reason is the stand-in's own: the real getHealth answers only healthState.
import type { HealthState, Resource } from './compute-store.js';

export const HEALTH_CHECK_RANGES = ['130.211.0.0/22', '35.191.0.0/16'];

export interface InstanceHealth {
  state: HealthState;
  /** Why it is UNHEALTHY (absent when HEALTHY). */
  reason?: string;
}

function ipv4(s: string): number | undefined {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

function cidr(s: string): { base: number; bits: number } | undefined {
  const [ip, len] = s.split('/');
  const base = ipv4(ip ?? '');
  const bits = len === undefined ? 32 : Number(len);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return { base, bits };
}

/** Whether source range `outer` contains all of `inner` (0.0.0.0/0 admits the probers too). */
export function rangeContains(outer: string, inner: string): boolean {
  const o = cidr(outer);
  const i = cidr(inner);
  if (!o || !i || o.bits > i.bits) return false;
  const mask = o.bits === 0 ? 0 : (~0 << (32 - o.bits)) >>> 0;
  return ((o.base & mask) >>> 0) === ((i.base & mask) >>> 0);
}

function portAllowed(rule: Resource, port: number): boolean {
  return (rule.allowed ?? []).some((a: { IPProtocol?: string; ports?: string[] }) => {
    if (a.IPProtocol !== 'tcp' && a.IPProtocol !== 'all') return false;
    if (!a.ports?.length) return true;
    return a.ports.some((p) => { const [lo, hi] = p.split('-').map(Number); return port >= lo! && port <= (hi ?? lo)!; });
  });
}

const networkName = (link: string | undefined) => (link ?? 'global/networks/default').split('/').pop();

/**
 * Whether an enabled INGRESS allow rule of the instance's network admits both
 * prober ranges on `port` to an instance with these tags (a rule without
 * target tags applies to every instance of its network). Deny rules and
 * priorities are not modelled: GLBC makes none.
 */
export function firewallAdmits(firewalls: readonly Resource[], network: string | undefined, tags: readonly string[], port: number): boolean {
  return HEALTH_CHECK_RANGES.every((probers) => firewalls.some((f) =>
    !f.disabled && (f.direction ?? 'INGRESS') === 'INGRESS' && networkName(f.network) === networkName(network)
    && (!(f.targetTags ?? []).length || (f.targetTags as string[]).some((t) => tags.includes(t)))
    && (f.sourceRanges ?? []).some((r: string) => rangeContains(r, probers))
    && portAllowed(f, port)));
}

export interface HealthInputs {
  /** From GLBC's stand-in: whether the cluster has ready endpoints for the Service (undefined: not reported yet). */
  endpoints: HealthState | undefined;
  /** The cluster behind the group answers (undefined: nothing to probe was registered). */
  reachable: { ok: boolean; detail: string } | undefined;
  firewalls: readonly Resource[];
  network: string | undefined;
  tags: readonly string[];
  port: number | undefined;
}

/** The first failing condition, in the order a probe meets them: node reachable, firewall, serving pod ready. */
export function instanceHealth(h: HealthInputs): InstanceHealth {
  if (h.reachable && !h.reachable.ok) return { state: 'UNHEALTHY', reason: h.reachable.detail };
  if (h.port === undefined) return { state: 'UNHEALTHY', reason: 'the backend service names no port the instance group has' };
  if (!firewallAdmits(h.firewalls, h.network, h.tags, h.port)) {
    return { state: 'UNHEALTHY', reason: `no firewall rule admits ${HEALTH_CHECK_RANGES.join(' and ')} to tcp:${h.port} on network ${networkName(h.network)} for tags [${h.tags.join(', ')}]` };
  }
  if (h.endpoints === undefined) return { state: 'UNHEALTHY', reason: 'no serving pod reported for this group yet' };
  if (h.endpoints !== 'HEALTHY') return { state: 'UNHEALTHY', reason: 'no ready endpoints for the Service in this cluster' };
  return { state: 'HEALTHY' };
}
