// Before an Ingress is applied, the global address its
// kubernetes.io/ingress.global-static-ip-name annotation names is reserved in
// the project of its clusters (Federation v1 raced for the first cluster's IP
// instead). The Compute Engine calls sit behind `GceEdge` (operator/gce/ makes
// one); this file only decides what to ask and which Ingresses to hold back.
// A failed reservation blocks that Ingress in every cluster, nothing else.
import { ingressClassOf, isGceClass } from '../core/ingress.js';
import { STATIC_IP_ANNOTATION } from '../core/labels.js';
import type { BlockedObject, ClusterRender, ClusterSpec, KubeObject } from '../core/model.js';
import { describeRef, refOf } from '../core/object-keys.js';
import type { GceEdge, StaticIpState } from './reconcile-types.js';

/** "ns/name" of an Ingress -> what its static IP is (one entry per project it goes to). */
export type StaticIpResults = Map<string, StaticIpState[]>;

function wanted(renders: readonly ClusterRender[], clusters: readonly ClusterSpec[]): Map<string, { ingress: KubeObject; name: string; projects: Set<string | undefined> }> {
  const out = new Map<string, { ingress: KubeObject; name: string; projects: Set<string | undefined> }>();
  for (const r of renders) {
    // Only GCE clusters' GLBCs use the address; a cluster of another provider neither needs it nor has a project.
    const spec = clusters.find((c) => c.name === r.cluster);
    if (spec?.provider !== 'gce') continue;
    for (const o of r.objects) {
      const name = o.kind === 'Ingress' && isGceClass(ingressClassOf(o)) ? o.metadata.annotations?.[STATIC_IP_ANNOTATION] : undefined;
      if (!name) continue;
      const key = describeRef(refOf(o));
      const w = out.get(key) ?? { ingress: o, name, projects: new Set() };
      w.projects.add(spec.gce?.project);
      out.set(key, w);
    }
  }
  return out;
}

/** Reserves (or, with lookupOnly, looks up) every named static IP; never throws. */
export async function reserveStaticIps(edge: GceEdge, renders: readonly ClusterRender[], clusters: readonly ClusterSpec[], lookupOnly = false): Promise<StaticIpResults> {
  // One call per project and address, however many Ingresses or clusters name it; all at once, so a slow Compute Engine costs one timeout, not one per address.
  const calls = new Map<string, Promise<StaticIpState>>();
  const pending: Array<[string, Array<StaticIpState | Promise<StaticIpState>>]> = [];
  for (const [key, w] of wanted(renders, clusters)) {
    const states: Array<StaticIpState | Promise<StaticIpState>> = [];
    for (const project of w.projects) {
      if (!project) { states.push({ name: w.name, error: 'a Cluster this Ingress goes to has no spec.gce.project, so there is no project to reserve the address in' }); continue; }
      const id = `${project}/${w.name}`;
      if (!calls.has(id)) calls.set(id, edge.address(project, w.name, lookupOnly).then(
        (a): StaticIpState => (a ? { name: w.name, project, address: a.address, ...(a.created ? { created: true } : {}) } : { name: w.name, project }),
        (e): StaticIpState => ({ name: w.name, project, error: (e as Error).message }),
      ));
      states.push(calls.get(id)!);
    }
    pending.push([key, states]);
  }
  const results: StaticIpResults = new Map();
  for (const [key, states] of pending) results.set(key, await Promise.all(states));
  return results;
}

/** The render with every Ingress whose static IP failed moved to `blocked` (in GCE clusters; others do not use it). */
export function blockUnreserved(r: ClusterRender, results: StaticIpResults, gceClusters: ReadonlySet<string>): ClusterRender {
  if (!gceClusters.has(r.cluster)) return r;
  const blocked: BlockedObject[] = [];
  const objects = r.objects.filter((o) => {
    if (o.kind !== 'Ingress') return true;
    const ref = refOf(o);
    const failed = (results.get(describeRef(ref)) ?? []).find((s) => s.error);
    if (!failed) return true;
    blocked.push({ ref, finding: { severity: 'error', code: 'StaticIpNotReserved', cluster: r.cluster, object: ref, message: `static IP ${failed.name}${failed.project ? ` (project ${failed.project})` : ''} is not reserved, so the Ingress is not applied: ${failed.error}` } });
    return false;
  });
  return blocked.length ? { ...r, objects, blocked: [...r.blocked, ...blocked] } : r;
}
