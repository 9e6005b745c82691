// Taking a cluster out of a shared GCE load balancer without an outage.
//
// GLBC (ingress-gce) garbage-collects every URL map, proxy, forwarding rule,
// backend service and instance group whose name ends with its CURRENT uid and
// that none of its cluster's Ingresses uses (loadbalancers/l7s.go GCv1 and
// backends.go List both filter with namer.NameBelongsToEntity, i.e. the uid).
// With one uid across clusters, deleting a federated Ingress in one cluster
// therefore deletes the SHARED front end. GLBC re-reads kube-system/ingress-uid
// every 5 s and adopts a new uid at run time (cmd/glbc/app/namer.go:
// wait.Forever ... namer.SetUID), so the safe sequence is:
//   1 drain:  the cluster is out of placement, so its workloads are pruned and
//             the others carry the replicas; wait for 0 ready endpoints behind
//             the Ingress there (its backend turns UNHEALTHY: Google sends it nothing);
//   2 re-key: its ingress-uid becomes a uid of its own (leavingGlbcUid); wait
//             until its GLBC names the Ingress with that uid (url-map annotation);
//   3 delete: the Ingress (and the Services behind it); its GLBC now collects
//             only names with the leaving uid, never the shared ones.
// The leaving uid stays (glbc-uid.ts keeps it) so a later Ingress event in
// that cluster cannot collect the shared names either. What is left behind is
// its old instance group inside the shared backend service: an orphan that
// `gitfed gce gc` lists. One cluster at a time; the state is read back from
// the clusters each pass (uid, endpoints, annotations), so a restart resumes.
// A cluster that keeps serving another federated GCE Ingress cannot be
// re-keyed (the uid is per cluster): there prune still refuses.
import { leavingGlbcUid } from './hashes.js';
import { ingressBackends, ingressClassOf, isGceClass } from './ingress.js';
import { GLBC_URL_MAP_ANNOTATION, INGRESS_UID_NAME, INGRESS_UID_NAMESPACE } from './labels.js';
import type { BlockedObject, ClusterRender, Finding, KubeObject } from './model.js';
import { cmp, keyOf, refOf } from './object-keys.js';

export interface LeavingInput {
  renders: ReadonlyMap<string, ClusterRender>;
  /** cluster -> objects this fleet owns there (keyOf -> live object) */
  owned: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>;
  /** cluster -> "namespace/service" -> ready endpoints; a cluster left out was not observed (never taken as drained) */
  readyEndpoints: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** cluster -> uid of its kube-system/ingress-uid as observed */
  uids: ReadonlyMap<string, string | undefined>;
  sharedUid: string;
}

export type LeavingStep = 'wait' | 'drain' | 're-key' | 'glbc' | 'delete';

export interface ClusterLeaving {
  step: LeavingStep;
  /** Objects kept (never pruned) this pass, each with the step's finding. */
  blocked: BlockedObject[];
  /** The uid the cluster's ingress-uid ConfigMap gets this pass. */
  configMapUid?: string;
  /** Live objects to delete this pass (step delete). */
  remove: KubeObject[];
  finding: Finding;
}

const nsName = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
const isGceIngress = (o: KubeObject) => o.kind === 'Ingress' && isGceClass(ingressClassOf(o));

function rendersGceIngress(r: ClusterRender): boolean {
  return r.objects.some(isGceIngress) || r.blocked.some((b) => b.ref.kind === 'Ingress');
}

/** cluster -> the live federated GCE Ingresses prune would delete there while other clusters keep them. */
export function leavingIngresses(renders: ReadonlyMap<string, ClusterRender>, owned: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>): Map<string, Array<{ ingress: KubeObject; others: string[] }>> {
  const wantedBy = new Map<string, string[]>();
  for (const [cluster, r] of renders) for (const o of r.objects) if (isGceIngress(o)) wantedBy.set(nsName(o), [...(wantedBy.get(nsName(o)) ?? []), cluster]);
  const out = new Map<string, Array<{ ingress: KubeObject; others: string[] }>>();
  for (const [cluster, live] of owned) {
    const r = renders.get(cluster);
    if (!r) continue;
    const kept = new Set([...r.objects.filter((o) => o.kind === 'Ingress').map(nsName), ...r.blocked.filter((b) => b.ref.kind === 'Ingress').map((b) => `${b.ref.namespace ?? 'default'}/${b.ref.name}`)]);
    for (const o of live.values()) {
      if (!isGceIngress(o) || kept.has(nsName(o))) continue;
      const others = wantedBy.get(nsName(o))?.filter((c) => c !== cluster);
      if (others?.length) (out.get(cluster) ?? out.set(cluster, []).get(cluster)!).push({ ingress: o, others });
    }
  }
  return out;
}

function sharedRemovalFinding(cluster: string, ref: BlockedObject['ref'], others: string[], why: string): Finding {
  return {
    severity: 'error', code: 'SharedIngressRemoval', cluster, object: ref,
    message: `not deleted: ${others.join(', ')} keep this Ingress, and deleting it here makes ${cluster}'s GLBC delete the SHARED URL map, target proxy and forwarding rule (its uid names them): the load balancer would be down for every cluster until another cluster's GLBC rebuilds it. ${why}To take ${cluster} out anyway, apply with --allow-shared-ingress-removal and expect that outage`,
  };
}

/** The step of every cluster that leaves (or left, or rejoins) a shared load balancer, from what the clusters hold now. */
export function planLeaving(input: LeavingInput): Map<string, ClusterLeaving> {
  const out = new Map<string, ClusterLeaving>();
  const leaving = leavingIngresses(input.renders, input.owned);
  const leavingUid = (c: string) => leavingGlbcUid(input.sharedUid, c);
  const names = [...leaving.keys()].sort(cmp);
  // Re-keying changes the uid for every Ingress of the cluster, so only a
  // cluster that serves no other federated GCE Ingress can take this way.
  const rekeyable = names.filter((c) => !rendersGceIngress(input.renders.get(c)!));
  // One at a time: the one already re-keyed goes on, else the first by name.
  const active = rekeyable.find((c) => input.uids.get(c) === leavingUid(c)) ?? rekeyable[0];
  for (const cluster of names) {
    const list = leaving.get(cluster)!;
    const owned = input.owned.get(cluster)!;
    const render = input.renders.get(cluster)!;
    const rendered = new Set(render.objects.map((o) => keyOf(refOf(o))));
    const services: KubeObject[] = [];
    for (const { ingress } of list) {
      for (const b of ingressBackends(ingress)) {
        const svc = owned.get(keyOf({ apiVersion: 'v1', kind: 'Service', namespace: ingress.metadata.namespace ?? 'default', name: b.service }));
        if (svc && !rendered.has(keyOf(refOf(svc))) && !services.includes(svc)) services.push(svc);
      }
    }
    const objects = [...list.map((l) => l.ingress), ...services];
    const others = [...new Set(list.flatMap((l) => l.others))];
    const ingressNames = list.map((l) => nsName(l.ingress)).join(', ');
    const hold = (step: LeavingStep, finding: Finding, extra: Partial<ClusterLeaving> = {}): ClusterLeaving => ({
      step, finding, remove: [], ...extra,
      blocked: objects.map((o) => ({ ref: refOf(o), finding: { ...finding, object: refOf(o) } })),
    });
    const note = (message: string): Finding => ({ severity: 'warning', code: 'LeavingSharedIngress', cluster, message });
    if (!rekeyable.includes(cluster)) {
      const blocked = list.map((l) => ({ ref: refOf(l.ingress), finding: sharedRemovalFinding(cluster, refOf(l.ingress), l.others, `gitfed's safe sequence re-keys ${cluster}'s GLBC uid, which it cannot do while ${cluster} serves another federated GCE Ingress. `) }));
      out.set(cluster, { step: 'wait', blocked, remove: [], finding: blocked[0]!.finding });
      continue;
    }
    const uid = leavingUid(cluster);
    if (cluster !== active) {
      out.set(cluster, hold('wait', note(`leaving the shared load balancer of ${ingressNames}: waits until ${active} has left (one cluster at a time)`)));
      continue;
    }
    const observed = input.uids.get(cluster);
    if (observed !== uid) {
      const ready = objects.filter((o) => o.kind === 'Ingress').flatMap((i) => ingressBackends(i).map((b) => `${i.metadata.namespace ?? 'default'}/${b.service}`));
      const counted = input.readyEndpoints.get(cluster);
      if (!counted) {
        // Endpoints not observed this tick: "none left" cannot be told from "could not look".
        out.set(cluster, hold('drain', note(`leaving the shared load balancer of ${ingressNames}, step 1/3 drain: waits until ${cluster}'s ready endpoints can be counted (its EndpointSlices could not be listed this time)`)));
        continue;
      }
      const left = [...new Set(ready)].reduce((n, k) => n + (counted.get(k) ?? 0), 0);
      if (left > 0) {
        // Services still placed here keep their workloads (and endpoints): say how to finish the drain.
        const placed = [...new Set(ready)].filter((k) => render.objects.some((o) => o.kind === 'Service' && nsName(o) === k));
        const how = placed.length ? `; ${placed.join(', ')} is still placed in ${cluster}: take its workloads out of ${cluster}'s placement too (or --allow-shared-ingress-removal to delete the Ingress now, with an outage)` : '';
        out.set(cluster, hold('drain', note(`leaving the shared load balancer of ${ingressNames} (${others.join(', ')} keep it), step 1/3 drain: ${left} ready endpoint(s) left behind it in ${cluster}; its workloads go (the other clusters carry the replicas) and the Ingress stays until Google sends ${cluster} nothing${how}`)));
        continue;
      }
      out.set(cluster, hold('re-key', note(`leaving the shared load balancer of ${ingressNames}, step 2/3 re-key: ${cluster}'s kube-system/ingress-uid becomes ${uid} (was ${observed ?? 'unset'}) so its GLBC stops collecting the shared names; the Ingress is deleted once ${cluster}'s GLBC names it with ${uid}`), { configMapUid: uid }));
      continue;
    }
    const lagging = list.filter((l) => {
      const urlMap = l.ingress.metadata.annotations?.[GLBC_URL_MAP_ANNOTATION];
      return urlMap !== undefined && !urlMap.endsWith(`--${uid}`);
    });
    if (lagging.length > 0) {
      out.set(cluster, hold('glbc', note(`leaving the shared load balancer of ${ingressNames}, step 2/3 re-key: waiting until ${cluster}'s GLBC names ${lagging.map((l) => nsName(l.ingress)).join(', ')} with uid ${uid} (url-map ${lagging[0]!.ingress.metadata.annotations![GLBC_URL_MAP_ANNOTATION]}); GLBC re-reads ingress-uid every 5 s and renames on its next sync of the Ingress`), { configMapUid: uid }));
      continue;
    }
    const finding = note(`leaving the shared load balancer of ${ingressNames}, step 3/3 delete: ${objects.map((o) => `${o.kind} ${nsName(o)}`).join(', ')} deleted in ${cluster}; its GLBC collects only names with uid ${uid}. Left behind: its old instance group in the shared backend service (gitfed gce gc lists it)`);
    out.set(cluster, { step: 'delete', finding, blocked: [], remove: objects, configMapUid: uid });
  }
  // A cluster that left keeps its leaving uid (glbc-uid.ts); placed again, it rejoins under the shared uid.
  for (const [cluster, r] of input.renders) {
    if (out.has(cluster) || input.uids.get(cluster) !== leavingUid(cluster) || !rendersGceIngress(r)) continue;
    out.set(cluster, {
      step: 'wait', blocked: [], remove: [], configMapUid: input.sharedUid,
      finding: { severity: 'info', code: 'RejoinSharedIngress', cluster, message: `${cluster} serves a federated GCE Ingress again: its kube-system/ingress-uid goes back from its leaving uid ${leavingUid(cluster)} to the shared ${input.sharedUid}` },
    });
  }
  return out;
}

/** A cluster's render with the leaving step applied: objects kept, and the ingress-uid ConfigMap's uid. */
export function withLeaving(r: ClusterRender, l: ClusterLeaving | undefined): ClusterRender {
  if (!l) return r;
  const objects = l.configMapUid === undefined ? r.objects : r.objects.map((o) => (o.kind === 'ConfigMap' && o.metadata.name === INGRESS_UID_NAME && o.metadata.namespace === INGRESS_UID_NAMESPACE && (o as { data?: Record<string, string> }).data?.uid !== l.configMapUid
    ? { ...o, data: { ...(o as { data?: Record<string, string> }).data, uid: l.configMapUid! } } as KubeObject
    : o));
  return { ...r, objects, blocked: [...r.blocked, ...l.blocked] };
}
