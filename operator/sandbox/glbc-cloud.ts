// The cloud half of GLBC's stand-in: what GLBC builds in Compute Engine for
// one cluster's Ingresses, built in the Compute Engine stand-in over its REST
// paths, with GLBC's names (operator/core/glbc-names.ts) and GLBC's habits:
// it adds its own instance group to a backend service and keeps the other
// clusters' groups; it only ever adds named ports; it rewrites its firewall's
// target tags to its own nodes; it recreates a forwarding rule whose IP is
// wrong; it points a proxy at another URL map or certificates with setUrlMap /
// setSslCertificates, in place. Each cluster runs this with its own uid, so
// clusters that share a uid meet in one set of resources and a cluster with
// another uid builds a second; an Ingress with GLBC's v2 finalizer gets v2
// front-end names from the cluster's kube-system UID, so one per cluster.
import { createHash } from 'node:crypto';
import { glbcLoadBalancerName, glbcNames, type GlbcNames } from '../core/glbc-names.js';
import { glbcV2FrontendNames } from '../core/glbc-names-v2.js';
import { ComputeRest } from './glbc-compute-rest.js';
import { deleteFrontend, gcCloud } from './glbc-gc.js';

export interface GlbcCloudOptions {
  /** The Compute Engine stand-in, "http://127.0.0.1:PORT". */
  endpoint: string;
  /** Default gitfed-demo, the sample fleet's project. */
  project?: string;
  /** cluster -> zone; default: the node's topology.kubernetes.io/zone, else the sample fleet's zones. */
  zones?: Record<string, string>;
}

/** The sample fleet's zones (clusters/*.yaml), so `sandbox up --gce` matches `--gce-endpoint` status. */
const SAMPLE_ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };
/** Google's health-check probers; GLBC's firewall admits them to every node port. */
const HEALTH_CHECK_RANGES = ['130.211.0.0/22', '35.191.0.0/16'];

/** requestPath: the serving pods' HTTP readiness probe path, which GLBC copies into the health check (default "/"). */
export interface CloudBackend { nodePort: number; healthy: boolean; requestPath?: string }
export interface CloudIngress {
  namespace: string;
  name: string;
  staticIpName?: string;
  /** The Ingress's default backend first, then one per rule path. */
  backends: CloudBackend[];
  rules: Array<{ host?: string; paths: Array<{ path?: string; nodePort: number }> }>;
  /** From the Secrets spec.tls names: GLBC uploads each as an SSL certificate and adds the HTTPS front end. */
  tls?: Array<{ certificate: string; privateKey: string }>;
  /** The Ingress carries GLBC's v2 finalizer: its front end gets v2 names. */
  v2?: boolean;
}
export interface CloudCluster {
  cluster: string;
  uid: string;
  providerUid?: string;
  nodes: string[];
  nodeZone?: string;
  /** UID of the cluster's kube-system namespace (v2 front-end names). */
  kubeSystemUid?: string;
  /** The cluster's apiserver, which the compute stand-in probes for this cluster's instance group. */
  probe?: { server: string; ca: string };
}

/** What one sync left: the forwarding rule's IP per Ingress ("ns/name"), what GLBC's GC deleted, and every error, naming call and resource. */
export interface CloudResult { ips: Record<string, string>; deleted: string[]; errors: string[] }

async function step(errors: string[], fn: () => Promise<void>): Promise<void> {
  try { await fn(); } catch (e) { errors.push((e as Error).message); }
}

/** The network tag of a cluster's nodes: GLBC's firewall targets it. */
export const nodeTag = (cluster: string) => `${cluster}-node`;

/**
 * The nodes' VMs, which GKE (not GLBC) creates; here GLBC's stand-in plays
 * that part too, so the firewall's target tags have instances to match.
 */
async function ensureInstances(gce: ComputeRest, zone: string, c: CloudCluster): Promise<void> {
  const have = new Set((await gce.list(`zones/${zone}/instances`)).map((i: { name: string }) => i.name));
  for (const n of c.nodes.filter((x) => !have.has(x))) {
    await gce.mutate('POST', `zones/${zone}/instances`, { name: n, tags: { items: [nodeTag(c.cluster)] }, networkInterfaces: [{ network: gce.link('global/networks/default') }] });
  }
}

async function ensureInstanceGroup(gce: ComputeRest, zone: string, c: CloudCluster, names: GlbcNames, ports: number[]): Promise<string> {
  const rel = `zones/${zone}/instanceGroups/${names.instanceGroup}`;
  if (!(await gce.get(rel))) await gce.mutate('POST', `zones/${zone}/instanceGroups`, { name: names.instanceGroup, network: gce.link('global/networks/default') });
  await ensureInstances(gce, zone, c);
  const have = new Set<string>((await gce.list(`${rel}/listInstances`, { method: 'POST' })).map((i: { instance: string }) => i.instance));
  const want = new Set(c.nodes.map((n) => gce.link(`zones/${zone}/instances/${n}`)));
  const add = [...want].filter((i) => !have.has(i));
  const remove = [...have].filter((i) => !want.has(i));
  if (add.length) await gce.mutate('POST', `${rel}/addInstances`, { instances: add.map((instance) => ({ instance })) });
  if (remove.length) await gce.mutate('POST', `${rel}/removeInstances`, { instances: remove.map((instance) => ({ instance })) });
  const ig = await gce.get(rel);
  const named: Array<{ name: string; port: number }> = ig.namedPorts ?? [];
  const missing = ports.filter((p) => !named.some((n) => n.port === p));
  if (missing.length) await gce.mutate('POST', `${rel}/setNamedPorts`, { namedPorts: [...named, ...missing.map((p) => ({ name: names.namedPort(p), port: p }))] });
  return ig.selfLink as string;
}

async function ensureBackend(gce: ComputeRest, names: GlbcNames, group: string, b: CloudBackend): Promise<void> {
  const name = names.backend(b.nodePort);
  const requestPath = b.requestPath || '/';
  const hc = await gce.get(`global/healthChecks/${name}`);
  if (!hc) {
    await gce.mutate('POST', 'global/healthChecks', { name, type: 'HTTP', checkIntervalSec: 60, timeoutSec: 60, httpHealthCheck: { port: b.nodePort, requestPath } });
  } else if (hc.httpHealthCheck?.requestPath !== requestPath) {
    // GLBC syncs the path from the readiness probe (healthchecks.go): each cluster's GLBC writes its own.
    await gce.mutate('PUT', `global/healthChecks/${name}`, { ...hc, httpHealthCheck: { ...hc.httpHealthCheck, port: b.nodePort, requestPath } });
  }
  let bs = await gce.get(`global/backendServices/${name}`);
  if (!bs) {
    await gce.mutate('POST', 'global/backendServices', { name, protocol: 'HTTP', port: b.nodePort, portName: names.namedPort(b.nodePort), timeoutSec: 30, healthChecks: [gce.link(`global/healthChecks/${name}`)] });
    bs = await gce.get(`global/backendServices/${name}`);
  }
  if (!(bs.backends ?? []).some((x: { group?: string }) => x.group === group)) {
    // GLBC adds its group and never removes another cluster's: this is how one backend service gets every cluster.
    await gce.mutate('PUT', `global/backendServices/${name}`, { ...bs, backends: [...(bs.backends ?? []), { group, balancingMode: 'RATE', maxRatePerInstance: 1, capacityScaler: 1 }] });
  }
  await gce.setHealth(name, group, b.healthy);
}

async function ensureFrontend(gce: ComputeRest, names: GlbcNames, ing: CloudIngress): Promise<string | undefined> {
  const service = (port: number) => gce.link(`global/backendServices/${names.backend(port)}`);
  const urlMap = {
    name: names.urlMap,
    defaultService: service(ing.backends[0]!.nodePort),
    hostRules: ing.rules.map((r, i) => ({ hosts: [r.host || '*'], pathMatcher: `host${i}` })),
    pathMatchers: ing.rules.map((r, i) => ({ name: `host${i}`, defaultService: service(ing.backends[0]!.nodePort), pathRules: r.paths.map((p) => ({ paths: [p.path || '/*'], service: service(p.nodePort) })) })),
  };
  const old = await gce.get(`global/urlMaps/${names.urlMap}`);
  if (!old) await gce.mutate('POST', 'global/urlMaps', urlMap);
  else if (JSON.stringify([old.defaultService, old.hostRules ?? [], old.pathMatchers ?? []]) !== JSON.stringify([urlMap.defaultService, urlMap.hostRules, urlMap.pathMatchers])) {
    await gce.mutate('PUT', `global/urlMaps/${names.urlMap}`, { ...old, ...urlMap });
  }
  const proxy = await gce.get(`global/targetHttpProxies/${names.targetHttpProxy}`);
  if (!proxy) {
    await gce.mutate('POST', 'global/targetHttpProxies', { name: names.targetHttpProxy, urlMap: gce.link(`global/urlMaps/${names.urlMap}`) });
  } else if (proxy.urlMap !== gce.link(`global/urlMaps/${names.urlMap}`)) {
    // ensureTargetHttpProxy: repoint the proxy, never delete and recreate what a forwarding rule points at.
    await gce.mutate('POST', `targetHttpProxies/${names.targetHttpProxy}/setUrlMap`, { urlMap: gce.link(`global/urlMaps/${names.urlMap}`) });
  }
  if (ing.tls?.length) await ensureHttpsProxy(gce, names, ing.tls);
  let ip: string | undefined;
  if (ing.staticIpName) {
    const address = await gce.get(`global/addresses/${ing.staticIpName}`);
    // GLBC's own words for this: the Ingress gets no forwarding rule until the address exists.
    if (!address) throw new Error(`the given static IP name ${ing.staticIpName} doesn't translate to an existing static IP (Ingress ${ing.namespace}/${ing.name})`);
    ip = address.address;
  }
  await ensureForwardingRule(gce, names.forwardingRule, ip, '80-80', `global/targetHttpProxies/${names.targetHttpProxy}`);
  const httpIp: string | undefined = (await gce.get(`global/forwardingRules/${names.forwardingRule}`))?.IPAddress;
  // Without a static IP, HTTPS takes the IP HTTP got, so the Ingress keeps one address.
  if (ing.tls?.length) await ensureForwardingRule(gce, names.httpsForwardingRule, ip ?? httpIp, '443-443', `global/targetHttpsProxies/${names.targetHttpsProxy}`);
  return httpIp;
}

/** One SSL certificate per TLS Secret (named after its content, so a new certificate is a new name) and the HTTPS proxy. */
async function ensureHttpsProxy(gce: ComputeRest, names: GlbcNames, tls: NonNullable<CloudIngress['tls']>): Promise<void> {
  const certs: string[] = [];
  for (const t of tls) {
    const name = names.sslCertificate(t.certificate);
    if (!(await gce.get(`global/sslCertificates/${name}`))) await gce.mutate('POST', 'global/sslCertificates', { name, certificate: t.certificate, privateKey: t.privateKey });
    certs.push(gce.link(`global/sslCertificates/${name}`));
  }
  const proxy = await gce.get(`global/targetHttpsProxies/${names.targetHttpsProxy}`);
  if (!proxy) {
    await gce.mutate('POST', 'global/targetHttpsProxies', { name: names.targetHttpsProxy, urlMap: gce.link(`global/urlMaps/${names.urlMap}`), sslCertificates: certs });
  } else {
    // The certificate setter and the URL map setter, as GLBC calls them (outside /global/ in Google's paths).
    if (JSON.stringify(proxy.sslCertificates ?? []) !== JSON.stringify(certs)) await gce.mutate('POST', `targetHttpsProxies/${names.targetHttpsProxy}/setSslCertificates`, { sslCertificates: certs });
    if (proxy.urlMap !== gce.link(`global/urlMaps/${names.urlMap}`)) await gce.mutate('POST', `targetHttpsProxies/${names.targetHttpsProxy}/setUrlMap`, { urlMap: gce.link(`global/urlMaps/${names.urlMap}`) });
  }
}

/** GLBC recreates a forwarding rule whose IP is not the static IP's (a forwarding rule's IP cannot change). */
async function ensureForwardingRule(gce: ComputeRest, name: string, ip: string | undefined, portRange: string, target: string): Promise<void> {
  const rule = await gce.get(`global/forwardingRules/${name}`);
  if (rule && (!ip || rule.IPAddress === ip)) return;
  if (rule) await gce.mutate('DELETE', `global/forwardingRules/${name}`);
  await gce.mutate('POST', 'global/forwardingRules', {
    name, ...(ip ? { IPAddress: ip } : {}), IPProtocol: 'TCP', portRange, loadBalancingScheme: 'EXTERNAL', target: gce.link(target),
  });
}

async function ensureFirewall(gce: ComputeRest, c: CloudCluster, names: GlbcNames): Promise<void> {
  const body = {
    name: names.firewall, network: gce.link('global/networks/default'), direction: 'INGRESS', sourceRanges: HEALTH_CHECK_RANGES,
    allowed: [{ IPProtocol: 'tcp', ports: ['30000-32767'] }], targetTags: [`${c.cluster}-node`],
    description: `{"kubernetes.io/cluster-id":"${c.uid}"}`,
  };
  const old = await gce.get(`global/firewalls/${names.firewall}`);
  if (!old) await gce.mutate('POST', 'global/firewalls', body);
  // A shared provider-uid makes clusters take this rule from each other, as GLBC does.
  else if (JSON.stringify(old.targetTags ?? []) !== JSON.stringify(body.targetTags)) await gce.mutate('PUT', `global/firewalls/${names.firewall}`, { ...old, ...body });
}

/** v1 names (from the uid, shared by clusters with one uid), or v2 front-end names (from this cluster's kube-system UID). */
export function frontendNames(c: CloudCluster, ing: CloudIngress): GlbcNames {
  const v1 = glbcNames(c.uid, c.providerUid, ing);
  if (!ing.v2) return v1;
  if (!c.kubeSystemUid) throw new Error(`Ingress ${ing.namespace}/${ing.name} has GLBC's v2 finalizer but the kube-system namespace's UID is unknown`);
  const v2 = glbcV2FrontendNames(c.kubeSystemUid, ing.namespace, ing.name);
  return {
    ...v1, urlMap: v2.urlMap, targetHttpProxy: v2.targetHttpProxy, targetHttpsProxy: v2.targetHttpsProxy, forwardingRule: v2.forwardingRule, httpsForwardingRule: v2.httpsForwardingRule,
    sslCertificate: (pem) => v2.sslCertificate(createHash('sha256').update(pem).digest('hex').slice(0, 16)),
  };
}

/** Whether an Ingress's URL map (the last of its front end to go) is gone: then GLBC lets the Ingress go. */
export async function frontendGone(opts: GlbcCloudOptions, c: Omit<CloudCluster, 'nodes'>, ing: CloudIngress): Promise<boolean> {
  const gce = new ComputeRest(opts.endpoint.replace(/\/$/, ''), opts.project ?? 'gitfed-demo');
  return !(await gce.get(`global/urlMaps/${frontendNames({ ...c, nodes: [] }, ing).urlMap}`));
}

export function zoneFor(cluster: string, opts: GlbcCloudOptions, nodeZone?: string): string {
  return opts.zones?.[cluster] ?? nodeZone ?? SAMPLE_ZONES[cluster] ?? `${cluster}-a`;
}

/**
 * One GLBC sync of a cluster's Ingresses into the Compute Engine stand-in.
 * `deleting`: Ingresses being deleted that carry GLBC's finalizer; a v2 one's
 * front end is deleted by name (the uid-based GC only knows v1 names).
 */
export async function syncCloud(opts: GlbcCloudOptions, c: CloudCluster, ingresses: CloudIngress[], deleting: CloudIngress[] = []): Promise<CloudResult> {
  const gce = new ComputeRest(opts.endpoint.replace(/\/$/, ''), opts.project ?? 'gitfed-demo');
  const zone = zoneFor(c.cluster, opts, c.nodeZone);
  const result: CloudResult = { ips: {}, deleted: [], errors: [] };
  for (const ing of deleting.filter((i) => i.v2)) {
    await step(result.errors, async () => {
      if (!c.kubeSystemUid) throw new Error(`Ingress ${ing.namespace}/${ing.name} has GLBC's v2 finalizer but the kube-system namespace's UID is unknown`);
      result.deleted.push(...await deleteFrontend(gce, glbcV2FrontendNames(c.kubeSystemUid, ing.namespace, ing.name), result.errors));
    });
  }
  const withBackends = ingresses.filter((i) => i.backends.length > 0);
  const clusterNames = glbcNames(c.uid, c.providerUid);
  const gc = () => gcCloud(gce, {
    uid: c.uid, zone, instanceGroup: clusterNames.instanceGroup,
    liveLoadBalancers: new Set(ingresses.map((i) => glbcLoadBalancerName(i.namespace, i.name, c.uid))),
    livePorts: new Set(ingresses.flatMap((i) => i.backends.map((b) => b.nodePort))),
    anyIngress: ingresses.length > 0,
  }, result.errors).then((d) => { result.deleted.push(...d); }).catch((e) => { result.errors.push((e as Error).message); });
  if (withBackends.length === 0) { await gc(); return result; }
  const ports = [...new Set(withBackends.flatMap((i) => i.backends.map((b) => b.nodePort)))].sort((a, b) => a - b);
  let group: string | undefined;
  await step(result.errors, async () => { group = await ensureInstanceGroup(gce, zone, c, clusterNames, ports); });
  if (!group) return result;
  if (c.probe) await step(result.errors, () => gce.registerProbe(group!, c.cluster, c.probe!));
  const healthy = new Map<number, boolean>();
  const paths = new Map<number, string>();
  for (const b of withBackends.flatMap((i) => i.backends)) {
    healthy.set(b.nodePort, (healthy.get(b.nodePort) ?? false) || b.healthy);
    if (b.requestPath && !paths.has(b.nodePort)) paths.set(b.nodePort, b.requestPath);
  }
  for (const port of ports) await step(result.errors, () => ensureBackend(gce, clusterNames, group!, { nodePort: port, healthy: healthy.get(port)!, ...(paths.has(port) ? { requestPath: paths.get(port)! } : {}) }));
  for (const ing of withBackends) {
    await step(result.errors, async () => {
      const ip = await ensureFrontend(gce, frontendNames(c, ing), ing);
      if (ip) result.ips[`${ing.namespace}/${ing.name}`] = ip;
    });
  }
  await step(result.errors, () => ensureFirewall(gce, c, clusterNames));
  await gc();
  return result;
}
