// GLBC's garbage collection, as ingress-gce does it (loadbalancers/l7s.go
// GCv1, backends/syncer.go GC, controller.go GCBackends): every URL map with
// its CURRENT uid whose Ingress this cluster no longer has loses its whole
// front end; every backend service with its uid whose node port no Ingress of
// this cluster uses is deleted with its health check; with no Ingress left,
// its instance group goes too. GLBC does not ask whether another cluster
// shares them: that is the hazard of taking one cluster out of a shared load
// balancer (an outage until another cluster's GLBC rebuilds it).
import { glbcFrontendNames, glbcLoadBalancerForUrlMap, glbcNameBelongsTo } from '../core/glbc-names.js';
import type { ComputeRest } from './glbc-cloud.js';

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
    // L7.Cleanup's order: forwarding rules, proxies, certificates, then the URL map they point at.
    const f = glbcFrontendNames(lb);
    await step(`global/forwardingRules/${f.forwardingRule}`);
    await step(`global/forwardingRules/${f.httpsForwardingRule}`);
    await step(`global/targetHttpProxies/${f.targetHttpProxy}`);
    await step(`global/targetHttpsProxies/${f.targetHttpsProxy}`);
    for (const cert of await listed('sslCertificates', f.sslCertificatePrefix)) if (cert.name.startsWith(f.sslCertificatePrefix) && glbcNameBelongsTo(cert.name, s.uid)) await step(`global/sslCertificates/${cert.name}`);
    await step(`global/urlMaps/${um.name}`);
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
