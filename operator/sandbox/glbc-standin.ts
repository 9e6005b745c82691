// A stand-in for Google's GLBC (the GCE ingress controller) in sandbox
// clusters, which have no cloud: for every Ingress of class gce (or no class)
// it reads kube-system/ingress-uid, names the load balancer resources the way
// GLBC does, and writes them back as GLBC's annotations plus a status IP. The
// IP is only written, never dialed (documentation range 203.0.113.0/24).
// Whether clusters "converge on one load balancer" is then visible as equal
// backend names in every cluster. With `compute` (the Compute Engine
// stand-in) it also builds what GLBC builds in the cloud (glbc-cloud.ts), and
// the status IP is the forwarding rule's.
import { createHash, randomBytes } from 'node:crypto';
import { KubeHttp } from '../cluster/kube-http.js';
import { FINALIZER_V2 } from '../core/glbc-names-v2.js';
import { frontendGone, frontendNames, syncCloud, type CloudIngress, type GlbcCloudOptions } from './glbc-cloud.js';
import { readinessPath } from './glbc-probe-path.js';
import type { Sandbox } from './index.js';

export interface GlbcOptions {
  /** Build the load balancer in this Compute Engine stand-in too. */
  compute?: GlbcCloudOptions;
}

export interface GlbcView {
  namespace: string;
  name: string;
  uid: string;
  backends: Record<string, string>;
  ip: string;
  /** With `compute`: what GLBC would report as events (a failed call names the call and the resource). */
  errors?: string[];
}

/** All GLBC needs of a sandbox: each cluster's address and admin token (a separate process reads them from the state file). */
export type GlbcSandbox = { clusters: ReadonlyArray<Pick<Sandbox['clusters'][number], 'name' | 'server' | 'ca' | 'adminToken'>> };

function client(sb: GlbcSandbox, cluster: string): KubeHttp {
  const c = sb.clusters.find((x) => x.name === cluster);
  if (!c) throw new Error(`no cluster ${cluster}`);
  return new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
}

function ipFor(seed: string): string {
  return `203.0.113.${(createHash('sha256').update(seed).digest()[0]! % 250) + 1}`;
}

/** GLBC's uid and provider-uid: the ConfigMap's, else a random one that it saves (as GLBC does). */
async function glbcUid(http: KubeHttp): Promise<{ uid: string; providerUid?: string }> {
  const r = await http.request<{ data?: Record<string, string> }>({ path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid' });
  if (r.status === 200 && r.body.data?.uid) return { uid: r.body.data.uid, ...(r.body.data['provider-uid'] ? { providerUid: r.body.data['provider-uid'] } : {}) };
  const uid = randomBytes(8).toString('hex');
  await http.request({ method: 'POST', path: '/api/v1/namespaces/kube-system/configmaps?fieldManager=glbc', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-uid', namespace: 'kube-system' }, data: { uid, 'provider-uid': uid } } });
  return { uid, providerUid: uid };
}

/** The cluster's nodes (GLBC's instance group members) and the zone their label names, if any. */
async function clusterNodes(http: KubeHttp): Promise<{ nodes: string[]; zone?: string }> {
  const r = await http.request<{ items?: Array<{ metadata: { name: string; labels?: Record<string, string> } }> }>({ path: '/api/v1/nodes' });
  const items = r.body?.items ?? [];
  const zone = items.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']).find(Boolean);
  return { nodes: items.map((n) => n.metadata.name).sort(), ...(zone ? { zone } : {}) };
}

async function readyEndpoints(http: KubeHttp, ns: string, svc: string): Promise<number> {
  const r = await http.request<{ items: Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }> }> }>({
    path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc}`)}`,
  });
  return (r.body?.items ?? []).flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
}

async function kubeSystemUid(http: KubeHttp): Promise<string | undefined> {
  const r = await http.request<{ metadata?: { uid?: string } }>({ path: '/api/v1/namespaces/kube-system' });
  return r.status === 200 ? r.body.metadata?.uid : undefined;
}

/** GLBC's finalizers (v1 and v2 naming): it takes the load balancer down before it lets such an Ingress go. */
const GLBC_FINALIZERS = ['networking.gke.io/ingress-finalizer', FINALIZER_V2];

export async function runGlbcOnce(sb: GlbcSandbox, cluster: string, opts: GlbcOptions = {}): Promise<GlbcView[]> {
  const http = client(sb, cluster);
  try {
    const { uid, providerUid } = await glbcUid(http);
    const list = await http.request<{ items: any[] }>({ path: '/apis/networking.k8s.io/v1/ingresses' });
    const found: Array<{ ing: any; backends: Record<string, string>; cloud: CloudIngress }> = [];
    const deleting: Array<{ ing: any; cloud: CloudIngress }> = [];
    for (const ing of list.body?.items ?? []) {
      const ann = ing.metadata.annotations ?? {};
      const cls = ann['kubernetes.io/ingress.class'] ?? ing.spec?.ingressClassName;
      if (cls !== undefined && cls !== 'gce') continue;
      const ns = ing.metadata.namespace;
      const finalizers: string[] = ing.metadata.finalizers ?? [];
      if (ing.metadata.deletionTimestamp) {
        // Not live any more: its front end goes (v1 by the GC, v2 by name), then its finalizers.
        if (finalizers.some((f) => GLBC_FINALIZERS.includes(f))) deleting.push({ ing, cloud: { namespace: ns, name: ing.metadata.name, ...(finalizers.includes(FINALIZER_V2) ? { v2: true } : {}), backends: [], rules: [] } });
        continue;
      }
      const nodePorts = new Map<string, number | undefined>();
      const nodePortOf = async (b: any): Promise<number | undefined> => {
        const key = JSON.stringify(b?.service ?? null);
        if (nodePorts.has(key)) return nodePorts.get(key);
        let nodePort: number | undefined;
        if (b?.service) {
          const svc = await http.request<any>({ path: `/api/v1/namespaces/${ns}/services/${b.service.name}` });
          const port = svc.status === 200 ? (svc.body.spec.ports ?? []).find((p: any) => p.port === b.service.port?.number || p.name === b.service.port?.name) : undefined;
          nodePort = port?.nodePort;
        }
        nodePorts.set(key, nodePort);
        return nodePort;
      };
      const refs = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))].filter(Boolean);
      const backends: Record<string, string> = {};
      const v2 = (ing.metadata.finalizers ?? []).includes(FINALIZER_V2);
      const cloud: CloudIngress = { namespace: ns, name: ing.metadata.name, ...(v2 ? { v2 } : {}), ...(ann['kubernetes.io/ingress.global-static-ip-name'] ? { staticIpName: ann['kubernetes.io/ingress.global-static-ip-name'] } : {}), backends: [], rules: [] };
      for (const b of refs) {
        const nodePort = await nodePortOf(b);
        if (!nodePort) continue;
        const healthy = (await readyEndpoints(http, ns, b.service.name)) > 0;
        backends[`k8s-be-${nodePort}--${uid}`] = healthy ? 'HEALTHY' : 'UNHEALTHY';
        if (!cloud.backends.some((x) => x.nodePort === nodePort)) {
          const requestPath = opts.compute ? await readinessPath(http, ns, b.service) : undefined;
          cloud.backends.push({ nodePort, healthy, ...(requestPath ? { requestPath } : {}) });
        }
      }
      for (const r of ing.spec?.rules ?? []) {
        const paths: CloudIngress['rules'][number]['paths'] = [];
        for (const p of r.http?.paths ?? []) {
          const nodePort = await nodePortOf(p.backend);
          if (nodePort) paths.push({ ...(p.path ? { path: p.path } : {}), nodePort });
        }
        if (paths.length) cloud.rules.push({ ...(r.host ? { host: r.host } : {}), paths });
      }
      for (const t of ing.spec?.tls ?? []) {
        if (!t.secretName || !opts.compute) continue;
        const secret = await http.request<any>({ path: `/api/v1/namespaces/${ns}/secrets/${t.secretName}` });
        const data = secret.status === 200 ? secret.body.data ?? {} : {};
        const decode = (k: string) => Buffer.from(String(data[k] ?? ''), 'base64').toString('utf8');
        if (data['tls.crt'] && data['tls.key']) (cloud.tls ??= []).push({ certificate: decode('tls.crt'), privateKey: decode('tls.key') });
      }
      found.push({ ing, backends, cloud });
    }
    let cloud: Awaited<ReturnType<typeof syncCloud>> | undefined;
    const sysUid = [...found, ...deleting].some((f) => f.cloud.v2) ? await kubeSystemUid(http) : undefined;
    const me = sb.clusters.find((x) => x.name === cluster)!;
    const cloudCluster = { cluster, uid, ...(providerUid ? { providerUid } : {}), ...(sysUid ? { kubeSystemUid: sysUid } : {}), probe: { server: me.server, ca: me.ca } };
    if (opts.compute) {
      const { nodes, zone } = await clusterNodes(http);
      cloud = await syncCloud(opts.compute, { ...cloudCluster, nodes, ...(zone ? { nodeZone: zone } : {}) }, found.map((f) => f.cloud), deleting.map((d) => d.cloud));
    }
    // Only once its front end is gone (a failed delete keeps the finalizer, so the next sync retries);
    // a shared backend service that cannot go yet does not hold the Ingress, as with GLBC.
    for (const { ing, cloud: ci } of deleting) {
      if (opts.compute && !(await frontendGone(opts.compute, cloudCluster, ci))) continue;
      const finalizers = (ing.metadata.finalizers as string[]).filter((f) => !GLBC_FINALIZERS.includes(f));
      await http.request({ method: 'PATCH', path: `/apis/networking.k8s.io/v1/namespaces/${ing.metadata.namespace}/ingresses/${ing.metadata.name}?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { metadata: { finalizers } } });
    }
    const out: GlbcView[] = [];
    for (const { ing, backends, cloud: ci } of found) {
      const ns = ing.metadata.namespace;
      const ann = ing.metadata.annotations ?? {};
      const lb = `${ns}-${ing.metadata.name}--${uid}`;
      const front = ci.v2 && sysUid ? frontendNames({ ...cloudCluster, nodes: [] }, ci) : undefined;
      const staticIp = ann['kubernetes.io/ingress.global-static-ip-name'];
      // With the cloud stand-in the IP is the forwarding rule's (none yet: no status IP, as with GLBC).
      const ip = cloud ? cloud.ips[`${ns}/${ing.metadata.name}`] : ipFor(staticIp ? `static/${staticIp}` : lb);
      const annotations: Record<string, string> = {
        'ingress.kubernetes.io/backends': JSON.stringify(backends),
        'ingress.kubernetes.io/url-map': front?.urlMap ?? `k8s-um-${lb}`,
        'ingress.kubernetes.io/forwarding-rule': front?.forwardingRule ?? `k8s-fw-${lb}`,
        'ingress.kubernetes.io/target-proxy': front?.targetHttpProxy ?? `k8s-tp-${lb}`,
        ...(staticIp ? { 'ingress.kubernetes.io/static-ip': staticIp } : {}),
      };
      const base = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${ing.metadata.name}`;
      await http.request({ method: 'PATCH', path: `${base}?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { metadata: { annotations } } });
      if (ip) await http.request({ method: 'PATCH', path: `${base}/status?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { status: { loadBalancer: { ingress: [{ ip }] } } } });
      out.push({ namespace: ns, name: ing.metadata.name, uid, backends, ip: ip ?? '', ...(cloud ? { errors: cloud.errors } : {}) });
    }
    return out;
  } finally {
    http.close();
  }
}

/** Keep playing GLBC in every cluster until stopped (for the demo and long tests). */
export function startGlbc(sb: GlbcSandbox, intervalMs = 2000, opts: GlbcOptions = {}): { stop(): void } {
  let stopped = false;
  // One loop per cluster, as each cluster has its own GLBC: a paused cluster stalls only its own.
  const loop = async (name: string) => {
    while (!stopped) {
      await runGlbcOnce(sb, name, opts).catch(() => undefined);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  for (const c of sb.clusters) void loop(c.name);
  return { stop: () => { stopped = true; } };
}
