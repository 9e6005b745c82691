// GLBC's garbage collection, as ingress-gce does it (loadbalancers/l7s.go
// GCv1, backends/syncer.go GC, controller.go GCBackends): every URL map with
// its CURRENT uid whose Ingress this cluster no longer has loses its whole
// front end; every backend service with its uid whose node port no Ingress of
// this cluster uses is deleted with its health check; with no Ingress left,
// its instance group goes too. GLBC does not ask whether another cluster
// shares them: that is the hazard of taking one cluster out of a shared load
// balancer (an outage until another cluster's GLBC rebuilds it).
import { glbcFrontendNames, glbcLoadBalancerForUrlMap, glbcNameBelongsTo } from '../core/glbc-names.js';
import type { ComputeRest } from './glbc-compute-rest.js';

export interface GcScope {
  uid: string;
  zone: string;
  instanceGroup: string;
  /** Load balancer names ("<ns>-<name>--<uid>") of the cluster's gce Ingresses. */
  liveLoadBalancers: Set<string>;
  /** Node ports its gce Ingresses use. */
  livePorts: Set<number>;
  anyIngress: boolean;
}

async function remove(gce: ComputeRest, rel: string): Promise<boolean> {
  if (!(await gce.get(rel))) return false;
  await gce.mutate('DELETE', rel);
  return true;
}

/** One Ingress's front end, by name (v1 from the load balancer name, or v2). */
export interface FrontendToDelete {
  forwardingRule: string; httpsForwardingRule: string; targetHttpProxy: string; targetHttpsProxy: string; urlMap: string;
  /** Certificates of this load balancer start so; `ownCert` says which of them GLBC counts as its own. */
  sslCertificatePrefix: string;
  ownCert?: (name: string) => boolean;
}

/** L7.Cleanup's order: forwarding rules, proxies, certificates, then the URL map they point at. */
export async function deleteFrontend(gce: ComputeRest, f: FrontendToDelete, errors: string[]): Promise<string[]> {
  const deleted: string[] = [];
  const step = async (rel: string) => {
    try { if (await remove(gce, rel)) deleted.push(rel); } catch (e) { errors.push((e as Error).message); }
  };
  await step(`global/forwardingRules/${f.forwardingRule}`);
  await step(`global/forwardingRules/${f.httpsForwardingRule}`);
  await step(`global/targetHttpProxies/${f.targetHttpProxy}`);
  await step(`global/targetHttpsProxies/${f.targetHttpsProxy}`);
  const certs = (await gce.list('global/sslCertificates', { filter: `name = "${f.sslCertificatePrefix}*"` })) as Array<{ name: string }>;
  for (const cert of certs) if (cert.name.startsWith(f.sslCertificatePrefix) && (f.ownCert?.(cert.name) ?? true)) await step(`global/sslCertificates/${cert.name}`);
  await step(`global/urlMaps/${f.urlMap}`);
  return deleted;
}

export async function gcCloud(gce: ComputeRest, s: GcScope, errors: string[]): Promise<string[]> {
  const deleted: string[] = [];
  const step = async (rel: string) => {
    try { if (await remove(gce, rel)) deleted.push(rel); } catch (e) { errors.push((e as Error).message); }
  };
  // Every page, narrowed by Compute Engine's own filter to GLBC's names.
  const listed = async (collection: string, prefix: string) => (await gce.list(`global/${collection}`, { filter: `name = "${prefix}*"` })) as Array<{ name: string }>;
  for (const um of await listed('urlMaps', 'k8s-um-')) {
    if (!um.name.startsWith('k8s-um-') || !glbcNameBelongsTo(um.name, s.uid)) continue;
    const lb = glbcLoadBalancerForUrlMap(um.name, s.uid);
    if (s.liveLoadBalancers.has(lb)) continue;
    const f = glbcFrontendNames(lb);
    deleted.push(...await deleteFrontend(gce, { ...f, urlMap: um.name, ownCert: (name) => glbcNameBelongsTo(name, s.uid) }, errors));
  }
  for (const bs of await listed('backendServices', 'k8s-be-')) {
    const port = /^k8s-be-(\d+)--/.exec(bs.name)?.[1];
    if (!port || !glbcNameBelongsTo(bs.name, s.uid) || s.livePorts.has(Number(port))) continue;
    await step(`global/backendServices/${bs.name}`);
    await step(`global/healthChecks/${bs.name}`);
  }
  if (!s.anyIngress) await step(`zones/${s.zone}/instanceGroups/${s.instanceGroup}`);
  return deleted;
}
