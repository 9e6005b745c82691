// The health check's request path as GLBC finds it (ingress-gce
// pkg/controller/translator getHTTPProbe): the HTTP readiness probe of a
// container of the Service's pods that serves the Service port's target port
// (by number, or by the container port's name). Without such a probe the
// path stays "/". With no pods yet (scaled to zero) the stand-in also reads
// the pod templates of Deployments the Service selects, so the path does not
// flap with the replica count.
import type { KubeHttp } from '../cluster/kube-http.js';

interface Container { ports?: Array<{ name?: string; containerPort: number }>; readinessProbe?: { httpGet?: { path?: string; port?: number | string } } }

function selectorQuery(selector: Record<string, string>): string {
  return encodeURIComponent(Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(','));
}

/** The probe path of the first container serving `targetPort`, if it has an HTTP readiness probe on that port. */
export function probePathFor(containers: readonly Container[], targetPort: number | string): string | undefined {
  for (const c of containers) {
    const served = (c.ports ?? []).find((p) => (typeof targetPort === 'number' ? p.containerPort === targetPort : p.name === targetPort));
    if (!served) continue;
    const get = c.readinessProbe?.httpGet;
    if (!get) continue;
    // The probe must check the serving port itself (by number or by the port's name), or its path says nothing about it.
    if (get.port !== served.containerPort && get.port !== served.name) continue;
    return get.path || '/';
  }
  return undefined;
}

export async function readinessPath(http: KubeHttp, ns: string, ref: { name: string; port?: { number?: number; name?: string } }): Promise<string | undefined> {
  const svc = await http.request<any>({ path: `/api/v1/namespaces/${ns}/services/${ref.name}` });
  if (svc.status !== 200) return undefined;
  const port = (svc.body.spec.ports ?? []).find((p: any) => p.port === ref.port?.number || p.name === ref.port?.name);
  const selector: Record<string, string> | undefined = svc.body.spec.selector;
  if (!port || !selector || Object.keys(selector).length === 0) return undefined;
  const targetPort: number | string = port.targetPort ?? port.port;
  const pods = await http.request<{ items?: Array<{ spec: { containers: Container[] } }> }>({ path: `/api/v1/namespaces/${ns}/pods?labelSelector=${selectorQuery(selector)}` });
  for (const p of pods.body?.items ?? []) {
    const path = probePathFor(p.spec.containers, targetPort);
    if (path) return path;
  }
  const deployments = await http.request<{ items?: Array<{ spec: { template: { metadata?: { labels?: Record<string, string> }; spec: { containers: Container[] } } } }> }>({ path: `/apis/apps/v1/namespaces/${ns}/deployments` });
  for (const d of deployments.body?.items ?? []) {
    const labels = d.spec.template.metadata?.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    const path = probePathFor(d.spec.template.spec.containers, targetPort);
    if (path) return path;
  }
  return undefined;
}
