// What the watch caches keep of objects gitfed does not own: only the fields
// observe reads. A member cluster holds thousands of Services, Ingresses,
// EndpointSlices and Deployments that are not gitfed's; their managedFields,
// specs and statuses would otherwise sit in the operator's memory for nothing.
// Objects gitfed owns are kept whole (drift needs managedFields).
import type { KubeObject } from '../core/model.js';

type Obj = KubeObject & { spec?: any; status?: any; endpoints?: any[] };

function meta(o: Obj, extra: Array<'labels' | 'annotations' | 'ownerReferences' | 'finalizers'> = []): KubeObject['metadata'] {
  const m = o.metadata as KubeObject['metadata'] & Record<string, unknown>;
  const out: Record<string, unknown> = { name: m.name };
  for (const k of ['namespace', 'uid', 'resourceVersion', ...extra]) if (m[k] !== undefined) out[k] = m[k];
  return out as KubeObject['metadata'];
}

/** Services: node ports in use. */
export function projectService(o: Obj): KubeObject {
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: meta(o), spec: { ...(o.spec?.type ? { type: o.spec.type } : {}), ports: o.spec?.ports ?? [] } } as KubeObject;
}

/** Ingresses: class, annotations (uid safety, GLBC's backends), finalizers (GLBC's naming scheme) and the load balancer status. */
export function projectIngress(o: Obj): KubeObject {
  const { ['kubectl.kubernetes.io/last-applied-configuration']: _big, ...annotations } = o.metadata.annotations ?? {};
  return {
    apiVersion: o.apiVersion, kind: o.kind, metadata: { ...meta(o, ['labels', 'finalizers']), annotations },
    spec: { ...(o.spec?.ingressClassName ? { ingressClassName: o.spec.ingressClassName } : {}) }, status: o.status ?? {},
  } as KubeObject;
}

/** EndpointSlices: which Service, and per endpoint its Pod and readiness. */
export function projectEndpointSlice(o: Obj): KubeObject {
  const svc = o.metadata.labels?.['kubernetes.io/service-name'];
  return {
    apiVersion: o.apiVersion, kind: o.kind, metadata: { ...meta(o), ...(svc ? { labels: { 'kubernetes.io/service-name': svc } } : {}) },
    endpoints: (o.endpoints ?? []).map((e: any) => ({
      ...(e.targetRef?.name ? { targetRef: { name: e.targetRef.name } } : {}), addresses: e.addresses ?? [],
      ...(e.conditions?.ready !== undefined ? { conditions: { ready: e.conditions.ready } } : {}),
    })),
  } as KubeObject;
}

/** Deployments: replicas now, readiness, and the selector (to find their stuck Pods). */
export function projectDeployment(o: Obj): KubeObject {
  return {
    apiVersion: o.apiVersion, kind: o.kind, metadata: meta(o, ['labels']),
    spec: { replicas: o.spec?.replicas ?? 0, ...(o.spec?.selector ? { selector: o.spec.selector } : {}) },
    status: { replicas: o.status?.replicas ?? 0, readyReplicas: o.status?.readyReplicas ?? 0 },
  } as KubeObject;
}

/** A LabelSelector as the query string the apiserver takes (`a=b,c in (d,e),!f`). */
export function selectorString(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
