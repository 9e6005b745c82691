// The Compute Engine stand-in's load balancers in a few lines, one per
// resource, with what each points at: what the demo shows next to the status
// commit, so "one load balancer for every cluster" is seen, not claimed.
import type { ComputeSnapshot } from './compute-store.js';

const last = (link: string | undefined) => (link ?? '').split('/').pop() ?? '';
const zoned = (link: string) => {
  const m = /\/zones\/([^/]+)\/instanceGroups\/([^/]+)$/.exec(link);
  return m ? `${m[1]}/${m[2]}` : last(link);
};

/** health: backend service -> "<zone>/<group>" -> state (from getHealth), shown next to each group. */
export function describeCompute(s: ComputeSnapshot, health: Record<string, Record<string, string>> = {}): string[] {
  const out: string[] = [];
  const row = (kind: string, text: string) => out.push(`${kind.padEnd(18)} ${text}`);
  for (const a of s.addresses ?? []) row('address', `${a.name} ${a.address} ${a.status}`);
  for (const r of s.forwardingRules ?? []) row('forwarding rule', `${r.name} ${r.IPAddress}:${r.portRange ?? '*'} -> ${last(r.target)}`);
  for (const p of s.targetHttpProxies ?? []) row('target proxy', `${p.name} -> ${last(p.urlMap)}`);
  for (const p of s.targetHttpsProxies ?? []) row('target proxy', `${p.name} -> ${last(p.urlMap)} (certificates ${(p.sslCertificates ?? []).map(last).join(', ')})`);
  for (const u of s.urlMaps ?? []) row('URL map', `${u.name} -> ${last(u.defaultService)}`);
  for (const b of s.backendServices ?? []) {
    const groups = (b.backends ?? []).map((x: { group: string }) => {
      const g = zoned(x.group);
      const state = health[b.name]?.[g];
      return state ? `${g} ${state}` : g;
    });
    row('backend service', `${b.name}: ${groups.length} instance group(s)${groups.length ? `: ${groups.join(', ')}` : ''}`);
  }
  for (const g of s.instanceGroups ?? []) {
    row('instance group', `${zoned(g.selfLink)}: ${g.instances?.length ?? 0} instance(s), named ports ${(g.namedPorts ?? []).map((p: { name: string }) => p.name).join(', ') || '-'}`);
  }
  for (const f of s.firewalls ?? []) {
    row('firewall', `${f.name}: ${(f.sourceRanges ?? []).join(',')} -> ${(f.allowed ?? []).map((a: { IPProtocol: string; ports?: string[] }) => `${a.IPProtocol}:${(a.ports ?? []).join(',')}`).join(' ')} on ${(f.targetTags ?? []).join(',')}`);
  }
  return out;
}
