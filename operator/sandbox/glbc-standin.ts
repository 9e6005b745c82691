// A stand-in for Google's GLBC (the GCE ingress controller) in sandbox
// clusters, which have no cloud: for every Ingress of class gce (or no class)
// it reads kube-system/ingress-uid, names the load balancer resources the way
// GLBC does, and writes them back as GLBC's annotations plus a status IP. The
// IP is only written, never dialed (documentation range 203.0.113.0/24).
// Whether clusters "converge on one load balancer" is then visible as equal
// backend names in every cluster.
import { createHash, randomBytes } from 'node:crypto';
import { KubeHttp } from '../cluster/kube-http.js';
import type { Sandbox } from './index.js';

export interface GlbcView {
  namespace: string;
  name: string;
  uid: string;
  backends: Record<string, string>;
  ip: string;
}

function client(sb: Sandbox, cluster: string): KubeHttp {
  const c = sb.clusters.find((x) => x.name === cluster);
  if (!c) throw new Error(`no cluster ${cluster}`);
  return new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
}

function ipFor(seed: string): string {
  return `203.0.113.${(createHash('sha256').update(seed).digest()[0]! % 250) + 1}`;
}

/** GLBC's uid: the ConfigMap's, else a random one that it saves (as GLBC does). */
async function glbcUid(http: KubeHttp): Promise<string> {
  const r = await http.request<{ data?: Record<string, string> }>({ path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid' });
  if (r.status === 200 && r.body.data?.uid) return r.body.data.uid;
  const uid = randomBytes(8).toString('hex');
  await http.request({ method: 'POST', path: '/api/v1/namespaces/kube-system/configmaps?fieldManager=glbc', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-uid', namespace: 'kube-system' }, data: { uid, 'provider-uid': uid } } });
  return uid;
}

async function readyEndpoints(http: KubeHttp, ns: string, svc: string): Promise<number> {
  const r = await http.request<{ items: Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }> }> }>({
    path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc}`)}`,
  });
  return (r.body?.items ?? []).flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
}

export async function runGlbcOnce(sb: Sandbox, cluster: string): Promise<GlbcView[]> {
  const http = client(sb, cluster);
  try {
    const uid = await glbcUid(http);
    const list = await http.request<{ items: any[] }>({ path: '/apis/networking.k8s.io/v1/ingresses' });
    const out: GlbcView[] = [];
    for (const ing of list.body?.items ?? []) {
      const ann = ing.metadata.annotations ?? {};
      const cls = ann['kubernetes.io/ingress.class'] ?? ing.spec?.ingressClassName;
      if (cls !== undefined && cls !== 'gce') continue;
      const ns = ing.metadata.namespace;
      const refs = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))].filter(Boolean);
      const backends: Record<string, string> = {};
      for (const b of refs) {
        const svc = await http.request<any>({ path: `/api/v1/namespaces/${ns}/services/${b.service.name}` });
        if (svc.status !== 200) continue;
        const port = (svc.body.spec.ports ?? []).find((p: any) => p.port === b.service.port?.number || p.name === b.service.port?.name);
        if (!port?.nodePort) continue;
        backends[`k8s-be-${port.nodePort}--${uid}`] = (await readyEndpoints(http, ns, b.service.name)) > 0 ? 'HEALTHY' : 'UNHEALTHY';
      }
      const lb = `${ns}-${ing.metadata.name}--${uid}`;
      const staticIp = ann['kubernetes.io/ingress.global-static-ip-name'];
      const ip = ipFor(staticIp ? `static/${staticIp}` : lb);
      const annotations: Record<string, string> = {
        'ingress.kubernetes.io/backends': JSON.stringify(backends),
        'ingress.kubernetes.io/url-map': `k8s-um-${lb}`,
        'ingress.kubernetes.io/forwarding-rule': `k8s-fw-${lb}`,
        'ingress.kubernetes.io/target-proxy': `k8s-tp-${lb}`,
        ...(staticIp ? { 'ingress.kubernetes.io/static-ip': staticIp } : {}),
      };
      const base = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${ing.metadata.name}`;
      await http.request({ method: 'PATCH', path: `${base}?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { metadata: { annotations } } });
      await http.request({ method: 'PATCH', path: `${base}/status?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { status: { loadBalancer: { ingress: [{ ip }] } } } });
      out.push({ namespace: ns, name: ing.metadata.name, uid, backends, ip });
    }
    return out;
  } finally {
    http.close();
  }
}

/** Keep playing GLBC in every cluster until stopped (for the demo and long tests). */
export function startGlbc(sb: Sandbox, intervalMs = 2000): { stop(): void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await Promise.all(sb.clusters.map((c) => runGlbcOnce(sb, c.name).catch(() => undefined)));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  void loop();
  return { stop: () => { stopped = true; } };
}
