// Taking one cluster out of a shared load balancer is not "delete its
// Ingress": that cluster's GLBC then collects every name with its uid that it
// has no Ingress for, and with one uid across clusters those are the SHARED
// URL map, target proxies, forwarding rules and (when no other Ingress there
// uses the node port) backend service. Every cluster loses the load balancer
// until another cluster's GLBC rebuilds it on its next sync. So prune does
// not delete a federated GCE Ingress in one cluster while others keep it,
// unless explicitly allowed; the object is reported as blocked instead.
import { ingressClassOf, isGceClass } from '../core/ingress.js';
import type { BlockedObject, ClusterRender, KubeObject } from '../core/model.js';
import { refOf } from '../core/object-keys.js';

const key = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

/** cluster -> the Ingresses it owns live that prune would delete there while other clusters keep them. */
export function sharedIngressRemovals(renders: ReadonlyMap<string, ClusterRender>, owned: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>): Map<string, BlockedObject[]> {
  const wantedBy = new Map<string, string[]>();
  for (const [cluster, r] of renders) {
    for (const o of r.objects) if (o.kind === 'Ingress' && isGceClass(ingressClassOf(o))) wantedBy.set(key(o), [...(wantedBy.get(key(o)) ?? []), cluster]);
  }
  const out = new Map<string, BlockedObject[]>();
  for (const [cluster, live] of owned) {
    const r = renders.get(cluster);
    if (!r) continue;
    const kept = new Set([...r.objects.filter((o) => o.kind === 'Ingress').map(key), ...r.blocked.filter((b) => b.ref.kind === 'Ingress').map((b) => `${b.ref.namespace ?? 'default'}/${b.ref.name}`)]);
    for (const o of live.values()) {
      if (o.kind !== 'Ingress' || !isGceClass(ingressClassOf(o)) || kept.has(key(o))) continue;
      const others = wantedBy.get(key(o));
      if (!others?.length) continue;
      const ref = refOf(o);
      (out.get(cluster) ?? out.set(cluster, []).get(cluster)!).push({
        ref,
        finding: {
          severity: 'error', code: 'SharedIngressRemoval', cluster, object: ref,
          message: `not deleted: ${others.join(', ')} keep this Ingress, and deleting it here makes ${cluster}'s GLBC delete the SHARED URL map, target proxy and forwarding rule (its uid names them): the load balancer would be down for every cluster until another cluster's GLBC rebuilds it. To take ${cluster} out anyway, apply with --allow-shared-ingress-removal and expect that outage`,
        },
      });
    }
  }
  return out;
}
