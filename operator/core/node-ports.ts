// One nodePort per federated Service port, identical in every cluster the
// Service goes to. GLBC names its backend service `k8s-be-<nodePort>--<uid>`,
// so equal node ports are what make every cluster join ONE backend.
//
// Order of preference: a nodePort written in Git (enforced); the previous
// allocation; the port the Service already holds in the clusters if it is
// free everywhere; the lowest port free in ALL clusters, in range, not reserved.
// A port pinned in Git by ANY Service (behind an Ingress or not) is never
// handed to another one, and a pin on a port another Service holds or was
// allocated is refused: that Service is blocked, the holder keeps its port.
import { describeRef } from './object-keys.js';
import type { Allocations, Finding, Fleet, NodePortPolicy, Observations, PortRange, SourcePos, SourcedObject } from './model.js';
import { portKey, servicePorts, type ServicePort } from './ingress.js';
import { ownValue } from './own-value.js';

export const DEFAULT_NODE_PORT_RANGE: PortRange = [30000, 32767];

export interface NodePortService {
  source: SourcedObject;
  /** "namespace/name" */
  key: string;
  clusters: string[];
  /**
   * Not behind a federated Ingress: only the node ports it pins in Git take
   * part (checked, and kept from the others); the apiserver picks the rest.
   */
  pinnedOnly?: boolean;
}

export interface NodePortResult {
  /** service key -> port key -> node port */
  ports: Record<string, Record<string, number>>;
  /** service keys that could not get a port; their Service is blocked everywhere */
  failed: Map<string, Finding>;
  findings: Finding[];
}

function inRanges(port: number, ranges: readonly PortRange[]): boolean {
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}

type Holders = Map<number, { cluster: string; service: string; refused?: true }[]>;

/** Index every observed node port once: port -> who holds it where. */
function indexHolders(obs: Observations): Holders {
  const holders: Holders = new Map();
  for (const [cluster, o] of Object.entries(obs)) {
    for (const u of o.nodePorts) {
      const list = holders.get(u.port) ?? [];
      list.push({ cluster, service: `${u.namespace}/${u.service}`, ...(u.refused ? { refused: true as const } : {}) });
      holders.set(u.port, list);
    }
  }
  return holders;
}

/**
 * The first cluster (in the Service's cluster order) where another Service
 * holds `port`. A port a cluster refused with no visible holder counts only
 * for a port gitfed is choosing now: a port pinned in Git or allocated
 * before is not moved for a reservation the apiserver frees by itself
 * (moving it would move every cluster's load balancer backend; that
 * cluster's apply fails until the port is free). keptPorts, below, names
 * the same ports for the reconcile that decides whether to render again.
 */
function firstConflict(holders: Holders, clusters: string[], port: number, self: string, established = false): { cluster: string; service: string } | undefined {
  const list = holders.get(port);
  if (!list) return undefined;
  for (const cluster of clusters) {
    const h = list.find((x) => x.cluster === cluster && x.service !== self && !(established && x.refused));
    if (h) return h;
  }
  return undefined;
}

export function allocateNodePorts(
  services: readonly NodePortService[],
  policy: NodePortPolicy | undefined,
  observations: Observations,
  previous: Allocations,
): NodePortResult {
  const range = policy?.range ?? DEFAULT_NODE_PORT_RANGE;
  const reserved = policy?.reserved ?? [];
  const ports: Record<string, Record<string, number>> = {};
  const holders = indexHolders(observations);
  const failed = new Map<string, Finding>();
  const findings: Finding[] = [];
  const taken = new Set<number>(); // ports this fleet already gave out in this render
  const inPolicy = (p: number) => p >= range[0] && p <= range[1] && !inRanges(p, reserved);
  const usable = (p: number) => inPolicy(p) && !taken.has(p);

  // Git-pinned ports first, of every Service: not negotiable, and the ports
  // chosen below must avoid them. A refused pin blocks its own Service only.
  const sorted = [...services].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const allocated = previousAllocations(sorted, previous, inPolicy);
  for (const svc of sorted) {
    for (const p of servicePorts(svc.source.object)) {
      if (!p.nodePort) continue;
      const refused = pinConflict(svc, p, holders, allocated);
      if (!refused) taken.add(p.nodePort);
      else if (!failed.has(svc.key)) failed.set(svc.key, refused);
    }
  }

  for (const svc of sorted) {
    if (svc.pinnedOnly || failed.has(svc.key)) continue;
    const out: Record<string, number> = {};
    const ref = serviceRef(svc.key);
    for (const p of servicePorts(svc.source.object)) {
      const key = portKey(p);
      const place = nodePortPlace(svc, p);
      if (p.nodePort) {
        out[key] = p.nodePort;
        continue;
      }
      const prev = ownValue(ownValue(previous.nodePorts, svc.key), key);
      const held = heldPorts(observations, svc, key);
      let chosen: number | undefined;
      if (prev !== undefined && usable(prev) && !firstConflict(holders, svc.clusters, prev, svc.key, true)) chosen = prev;
      if (chosen === undefined) {
        // Adopt what the Service holds today, most common first, if free everywhere.
        for (const [port] of held.counts) {
          if (usable(port) && !firstConflict(holders, svc.clusters, port, svc.key)) { chosen = port; break; }
        }
      }
      for (let port = range[0]; chosen === undefined && port <= range[1]; port++) {
        if (usable(port) && !firstConflict(holders, svc.clusters, port, svc.key)) chosen = port;
      }
      if (chosen === undefined) {
        failed.set(svc.key, {
          severity: 'error', code: 'NodePortExhausted', place,
          message: `${ref} port ${key}: no nodePort in ${range[0]}-${range[1]} is free in all of ${listSome(svc.clusters)}; widen NodePortPolicy spec.range or free a port`,
        });
        continue;
      }
      taken.add(chosen);
      out[key] = chosen;
      const moving = held.byCluster.filter(([, port]) => port !== chosen);
      if (moving.length > 0) {
        findings.push({
          severity: 'warning', code: 'NodePortMoves', place,
          message: `${ref} port ${key}: node ports differ between clusters today; ${moving.map(([c, port]) => `${c} moves from ${port}`).join(', ')} to ${chosen}`,
        });
      }
    }
    if (!failed.has(svc.key)) ports[svc.key] = out;
  }
  return { ports, failed, findings };
}

const serviceRef = (key: string) => describeRef({ kind: 'Service', namespace: key.split('/')[0], name: key.split('/')[1]! });
const nodePortPlace = (svc: NodePortService, p: ServicePort): SourcePos => svc.source.locate?.(['spec', 'ports', p.index, 'nodePort']) ?? svc.source.place;

/**
 * port -> the Service it was allocated to before and would keep (behind an
 * Ingress, in range, not reserved, not pinned in Git now). Moving such a port
 * moves the load balancer's backend in every cluster, so a pin on it loses.
 */
function previousAllocations(services: readonly NodePortService[], previous: Allocations, inPolicy: (p: number) => boolean): Map<number, NodePortService> {
  const out = new Map<number, NodePortService>();
  for (const svc of services) {
    if (svc.pinnedOnly) continue;
    const before = ownValue(previous.nodePorts, svc.key);
    for (const p of servicePorts(svc.source.object)) {
      const port = ownValue(before, portKey(p));
      if (!p.nodePort && port !== undefined && inPolicy(port)) out.set(port, svc);
    }
  }
  return out;
}

/** Why this Service may not have the node port it pins in Git, at that nodePort's line; undefined when it may. */
function pinConflict(svc: NodePortService, p: ServicePort, holders: Holders, allocated: ReadonlyMap<number, NodePortService>): Finding | undefined {
  const port = p.nodePort!;
  const ref = serviceRef(svc.key);
  const place = nodePortPlace(svc, p);
  const c = firstConflict(holders, svc.clusters, port, svc.key, true);
  if (c) {
    return {
      severity: 'error', code: 'NodePortTaken', place, cluster: c.cluster,
      message: `${ref} port ${portKey(p)}: nodePort ${port} is already held by Service ${c.service} in cluster ${c.cluster}; pick a port free in every cluster or remove nodePort to let gitfed choose`,
    };
  }
  const owner = allocated.get(port);
  if (owner && owner.key !== svc.key) {
    const at = owner.source.place;
    return {
      severity: 'error', code: 'NodePortTaken', place,
      message: `${ref} port ${portKey(p)}: nodePort ${port} is already allocated to ${serviceRef(owner.key)} (${at.file}:${at.line}), whose federated Ingress uses it in every cluster; a node port can belong to one Service only: pick another or remove nodePort to let gitfed choose`,
    };
  }
  return undefined;
}

/** Node ports this Service holds now, per cluster, and how often each port occurs. */
function heldPorts(obs: Observations, svc: NodePortService, key: string): { byCluster: [string, number][]; counts: [number, number][] } {
  const [ns, name] = svc.key.split('/');
  const byCluster: [string, number][] = [];
  const count = new Map<number, number>();
  for (const cluster of svc.clusters) {
    for (const u of ownValue(obs, cluster)?.nodePorts ?? []) {
      if (u.namespace !== ns || u.service !== name) continue;
      if (u.servicePort !== undefined && u.servicePort !== key) continue;
      byCluster.push([cluster, u.port]);
      count.set(u.port, (count.get(u.port) ?? 0) + 1);
    }
  }
  const counts = [...count].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return { byCluster, counts };
}

function listSome(names: readonly string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/**
 * Whether a Service keeps this node port whatever a cluster says: pinned in
 * Git, or allocated before (the ports `firstConflict` takes as established).
 */
export type KeptPort = (service: string, port: number) => boolean;

/** The ports `fleet` pins in Git or `previous` allocated, as a KeptPort. */
export function keptPorts(fleet: Pick<Fleet, 'manifests'>, previous: Allocations): KeptPort {
  return (service, port) => {
    if (Object.values(ownValue(previous.nodePorts, service) ?? {}).includes(port)) return true;
    const [namespace, name] = service.split('/');
    const svc = fleet.manifests.find((m) => m.object.kind === 'Service' && m.object.metadata.name === name && (m.object.metadata.namespace ?? 'default') === namespace);
    return !!svc && servicePorts(svc.object).some((p) => p.nodePort === port);
  };
}
