// Node ports an apiserver refused ("provided port is already allocated")
// though gitfed observed them free. Another client may have taken the port
// since; or a client died between the apiserver reserving the port and
// committing its Service (an operator killed mid-apply), and the port stays
// allocated, held by no Service, until the apiserver's repair loop frees it:
// up to 9 minutes (it runs every 3 minutes and frees a leaked port on its
// third sighting). Until then the cluster refuses the port while every LIST
// says it is free.
//
// gitfed treats such a refusal as an observation: "this port is taken in that
// cluster". A port gitfed is choosing now (the Service has no allocation yet:
// a new Service, or a first apply that was killed before it recorded one) is
// then avoided the way a port another Service holds is, and the pass runs
// again. An allocated port is kept: moving it would move every cluster's load
// balancer backend for a reservation the apiserver frees by itself, so that
// one cluster's apply fails until then. A refusal is remembered for
// REFUSED_PORT_TTL_MS, a little longer than the apiserver needs to free the
// port; by then the Service holds its new port and the render keeps it.
import type { ClusterObservation, Finding, NodePortUse } from '../core/model.js';
import type { KeptPort } from '../core/node-ports.js';
import type { ClusterResult } from './reconcile-types.js';

export const REFUSED_PORT_TTL_MS = 10 * 60_000;

/**
 * cluster -> refused port -> when (ms since epoch), for which Service
 * ("namespace/name"), and whether that port was the Service's allocation
 * (kept: the apply there waits for the apiserver to free it).
 */
export type RefusedNodePorts = Map<string, Map<number, Refusal>>;
interface Refusal { at: number; service: string; allocated: boolean }

/** The apiserver's words, as in "spec.ports[0].nodePort: Invalid value: 30000: provided port is already allocated". */
const REFUSAL = /nodePort: Invalid value: (\d+): provided port is already allocated/g;

/** Ports the cluster refused in this pass's Service applies, with the Service ("namespace/name"). */
export function refusalsIn(result: Pick<ClusterResult, 'objects'>): Array<{ port: number; service: string }> {
  const out: Array<{ port: number; service: string }> = [];
  for (const o of result.objects) {
    if (o.action !== 'failed' || o.ref.kind !== 'Service' || !o.error) continue;
    for (const m of o.error.matchAll(REFUSAL)) out.push({ port: Number(m[1]), service: `${o.ref.namespace}/${o.ref.name}` });
  }
  return out;
}

/**
 * Record this pass's refusals; returns how many are new and not a Service's
 * allocation: those change the render (another pass is worth it), a known
 * one was avoided already and an allocated one is kept.
 */
export function recordRefusals(refused: RefusedNodePorts, clusters: readonly Pick<ClusterResult, 'cluster' | 'objects'>[], kept: KeptPort, now: number): number {
  let fresh = 0;
  for (const c of clusters) {
    for (const { port, service } of refusalsIn(c)) {
      const known = refused.get(c.cluster) ?? new Map<number, Refusal>();
      const allocated = kept(service, port);
      if (!known.has(port) && !allocated) fresh++;
      known.set(port, { at: now, service, allocated });
      refused.set(c.cluster, known);
    }
  }
  return fresh;
}

/** Forget refusals older than the TTL: the apiserver has freed those ports by now. */
export function expireRefusals(refused: RefusedNodePorts, now: number): void {
  for (const [cluster, ports] of refused) {
    for (const [port, { at }] of ports) if (now - at >= REFUSED_PORT_TTL_MS) ports.delete(port);
    if (ports.size === 0) refused.delete(cluster);
  }
}

/** The observation with the cluster's refused ports added as held (a new object; the input may be a cache's). */
export function withRefusals(cluster: string, o: ClusterObservation, refused: RefusedNodePorts): ClusterObservation {
  const ports = refused.get(cluster);
  if (!ports?.size) return o;
  const uses: NodePortUse[] = [...ports.keys()].sort((a, b) => a - b).map((port) => ({ port, namespace: '', service: '', refused: true }));
  return { ...o, nodePorts: [...o.nodePorts, ...uses] };
}

/** One warning per remembered refusal, so the status says why a Service's node port moved. */
export function refusalFindings(refused: RefusedNodePorts, clusters: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  for (const [cluster, ports] of [...refused].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (!clusters.has(cluster)) continue;
    for (const [port, { service, allocated }] of [...ports].sort((a, b) => a[0] - b[0])) {
      const [namespace, name] = service.split('/') as [string, string];
      const then = allocated
        ? `gitfed keeps port ${port}, pinned in Git or allocated before (moving it would move every cluster's load balancer backend), and applies it here again each tick until the apiserver frees it`
        : `gitfed picks ports other than ${port} there until then`;
      out.push({
        severity: 'warning', code: 'NodePortRefused', cluster, object: { apiVersion: 'v1', kind: 'Service', namespace, name },
        message: `cluster ${cluster} refused node port ${port} for Service ${service} ("provided port is already allocated") though it was free when gitfed looked: another client took it since, or one that stopped mid-request left it reserved (the apiserver frees such a port within about 9 minutes); ${then}`,
      });
    }
  }
  return out;
}
