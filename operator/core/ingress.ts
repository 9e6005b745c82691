// What gitfed needs to know about an Ingress: its class and the Services
// (and ports) behind it. Handles networking.k8s.io/v1 and the older
// extensions/v1beta1 shape that Federation-era manifests still use.
import { INGRESS_CLASS_ANNOTATION } from './labels.js';
import type { FieldPath, KubeObject } from './model.js';

export interface IngressBackend {
  service: string;
  /** Port number or name; undefined when the manifest leaves it out. */
  port?: number | string;
  path: FieldPath;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function ingressClassOf(obj: KubeObject): string | undefined {
  const ann = obj.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (ann) return ann;
  const spec = asObj(obj.spec);
  return typeof spec?.ingressClassName === 'string' ? spec.ingressClassName : undefined;
}

/** GLBC serves Ingresses of class gce, and those with no class on GKE/GCE. */
export function isGceClass(cls: string | undefined): boolean {
  return cls === undefined || cls === 'gce' || cls === 'gce-multi-cluster';
}

function backendOf(b: unknown, path: FieldPath): IngressBackend | undefined {
  const o = asObj(b);
  if (!o) return undefined;
  const svc = asObj(o.service);
  if (svc && typeof svc.name === 'string') {
    const port = asObj(svc.port);
    const p = typeof port?.number === 'number' ? port.number : typeof port?.name === 'string' ? port.name : undefined;
    return { service: svc.name, port: p, path: [...path, 'service', 'name'] };
  }
  if (typeof o.serviceName === 'string') {
    const p = typeof o.servicePort === 'number' || typeof o.servicePort === 'string' ? o.servicePort : undefined;
    return { service: o.serviceName, port: p, path: [...path, 'serviceName'] };
  }
  return undefined;
}

export function ingressBackends(obj: KubeObject): IngressBackend[] {
  const spec = asObj(obj.spec);
  if (!spec) return [];
  const out: IngressBackend[] = [];
  for (const key of ['defaultBackend', 'backend']) {
    const b = backendOf(spec[key], ['spec', key]);
    if (b) out.push(b);
  }
  asArr(spec.rules).forEach((rule, ri) => {
    asArr(asObj(asObj(rule)?.http)?.paths).forEach((p, pi) => {
      const b = backendOf(asObj(p)?.backend, ['spec', 'rules', ri, 'http', 'paths', pi, 'backend']);
      if (b) out.push(b);
    });
  });
  return out;
}

export interface ServicePort {
  index: number;
  name?: string;
  port: number;
  nodePort?: number;
}

export function servicePorts(svc: KubeObject): ServicePort[] {
  return asArr(asObj(svc.spec)?.ports).flatMap((p, index) => {
    const o = asObj(p);
    if (!o || typeof o.port !== 'number') return [];
    return [{
      index,
      port: o.port,
      ...(typeof o.name === 'string' ? { name: o.name } : {}),
      ...(typeof o.nodePort === 'number' ? { nodePort: o.nodePort } : {}),
    }];
  });
}

/** How allocations name a Service port: its name, else its number. */
export function portKey(p: ServicePort): string {
  return p.name ?? String(p.port);
}

export function serviceType(svc: KubeObject): string {
  const t = asObj(svc.spec)?.type;
  return typeof t === 'string' ? t : 'ClusterIP';
}
