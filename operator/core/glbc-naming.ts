// GLBC's front-end naming scheme per live Ingress, and the block it implies.
// ingress-gce's v2 namer (utils/namer FrontendNamingScheme: an Ingress with
// the finalizer networking.gke.io/ingress-finalizer-V2) names the URL map,
// target proxy and forwarding rule k8s2-<...> from the cluster's kube-system
// namespace UID, never from kube-system/ingress-uid. Two clusters can then
// never share one front end: each builds its own and they fight over the
// static IP. So gitfed does not apply such an Ingress unless told to.
import { GLBC_URL_MAP_ANNOTATION } from './labels.js';
import type { BlockedObject, ClusterRender, KubeObject } from './model.js';
import { refOf } from './object-keys.js';
import { ingressClassOf, isGceClass } from './ingress.js';

export const V1_FINALIZER = 'networking.gke.io/ingress-finalizer';
export const V2_FINALIZER = 'networking.gke.io/ingress-finalizer-V2';

/** GLBC's naming scheme for a live Ingress: its finalizer says, else the url-map annotation's prefix. */
export function frontEndNaming(live: KubeObject | undefined): 'v1' | 'v2' | undefined {
  const fin = (live?.metadata.finalizers as string[] | undefined) ?? [];
  if (fin.includes(V2_FINALIZER) || live?.metadata.annotations?.[GLBC_URL_MAP_ANNOTATION]?.startsWith('k8s2-')) return 'v2';
  return fin.includes(V1_FINALIZER) ? 'v1' : undefined;
}

/**
 * cluster -> the rendered GCE Ingresses whose live object GLBC names with v2
 * names there (blocked: not applied). `live` is cluster -> "ns/name" -> Ingress.
 */
export function v2NamingBlocks(renders: ReadonlyMap<string, ClusterRender>, live: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>): Map<string, BlockedObject[]> {
  const out = new Map<string, BlockedObject[]>();
  for (const [cluster, r] of renders) {
    for (const o of r.objects) {
      if (o.kind !== 'Ingress' || !isGceClass(ingressClassOf(o))) continue;
      const key = `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
      const li = live.get(cluster)?.get(key);
      if (frontEndNaming(li) !== 'v2') continue;
      const ref = refOf(o);
      const why = (li?.metadata.finalizers as string[] | undefined)?.includes(V2_FINALIZER) ? `finalizer ${V2_FINALIZER}` : `url-map ${li!.metadata.annotations![GLBC_URL_MAP_ANNOTATION]}`;
      (out.get(cluster) ?? out.set(cluster, []).get(cluster)!).push({
        ref,
        finding: {
          severity: 'error', code: 'GlbcV2Naming', cluster, object: ref,
          message: `not applied: ${cluster}'s GLBC names this Ingress with v2 front-end names (${why}): k8s2-... names made from ${cluster}'s kube-system namespace UID, not from the shared ingress-uid, so ${cluster} builds a URL map and forwarding rule of its own and can never share the load balancer. Way out: run GLBC with --enable-v2-frontend-namer=false (a GLBC you run yourself), delete the Ingress in ${cluster} and let gitfed recreate it (GLBC then names it v1 when a v1 URL map exists for its static IP), or serve it from one cluster; --allow-v2-naming applies it anyway`,
        },
      });
    }
  }
  return out;
}
