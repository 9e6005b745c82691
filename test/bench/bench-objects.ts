// The benchmarks' filler objects: a Namespace, then ConfigMaps, Services and
// Deployments (0 replicas) in turn, n objects in all. With a marker, cm-0
// carries it in data.marker, so "this push is applied" is one GET per cluster.
import type { KubeObject } from '../../operator/core/model.js';

export function benchObjects(ns: string, n: number, marker?: string): KubeObject[] {
  const out: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }];
  for (let i = 0; out.length < n; i++) {
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns }, data: { index: String(i), payload: 'x'.repeat(200), ...(i === 0 && marker !== undefined ? { marker } : {}) } });
    if (out.length < n) out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: ns }, spec: { selector: { app: `a${i}` }, ports: [{ port: 80, protocol: 'TCP' }] } });
    if (out.length < n) out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `dep-${i}`, namespace: ns }, spec: { replicas: 0, selector: { matchLabels: { app: `a${i}` } }, template: { metadata: { labels: { app: `a${i}` } }, spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }] } } } });
  }
  return out;
}
