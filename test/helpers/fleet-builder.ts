// Builds Fleet values as plain literals for unit tests of the render core
// (no files, no YAML): each object gets a fake but distinct source place.
import type {
  ClusterObservation, ClusterSpec, Fleet, KubeObject, NodePortPolicy, Override, Placement, SourcedObject,
} from '../../operator/core/model.js';

let line = 0;
const place = (file = 'manifests/test.yaml') => ({ file, line: ++line, col: 1 });

export function sourced(object: KubeObject, file = 'manifests/test.yaml'): SourcedObject {
  const p = place(file);
  // locate() returns the document place shifted by the path depth, so tests can
  // tell "pointed at the field" from "pointed at the document".
  return { object, place: p, locate: (path) => ({ file, line: p.line, col: 1 + path.length }) };
}

export function cluster(name: string, extra: Partial<ClusterSpec> = {}): ClusterSpec {
  return { name, labels: {}, context: name, provider: 'gce', paused: false, place: place(`clusters/${name}.yaml`), ...extra };
}

export function fleet(parts: Partial<Omit<Fleet, 'manifests'>> & { manifests?: KubeObject[] }): Fleet {
  return {
    settings: { name: 'test', allowPruneAll: false },
    clusters: parts.clusters ?? [],
    ...(parts.nodePortPolicy ? { nodePortPolicy: parts.nodePortPolicy } : {}),
    placements: parts.placements ?? [],
    overrides: parts.overrides ?? [],
    driftPolicies: parts.driftPolicies ?? [],
    manifests: (parts.manifests ?? []).map((o) => sourced(o)),
  };
}

export function deployment(name: string, replicas: number, ns = 'web', annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx' }] } } },
  };
}

export function service(name: string, opts: { ns?: string; type?: string; nodePort?: number; ports?: Array<{ name?: string; port: number; nodePort?: number }> } = {}): KubeObject {
  const ports = opts.ports ?? [{ port: 80, ...(opts.nodePort ? { nodePort: opts.nodePort } : {}) }];
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: opts.ns ?? 'web' },
    spec: { type: opts.type ?? 'NodePort', selector: { app: name }, ports: ports.map((p) => ({ protocol: 'TCP', targetPort: 80, ...p })) },
  };
}

export function ingress(name: string, backend: string, opts: { ns?: string; staticIp?: string | null; className?: string } = {}): KubeObject {
  const annotations: Record<string, string> = {};
  if (opts.staticIp !== null) annotations['kubernetes.io/ingress.global-static-ip-name'] = opts.staticIp ?? 'web-ip';
  if (opts.className) annotations['kubernetes.io/ingress.class'] = opts.className;
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, namespace: opts.ns ?? 'web', annotations },
    spec: { defaultBackend: { service: { name: backend, port: { number: 80 } } } },
  };
}

export function nodePortPolicy(range: [number, number], reserved: Array<[number, number]> = []): NodePortPolicy {
  return { name: 'ports', range, reserved, place: place('policies/ports.yaml') };
}

export function placement(name: string, p: Omit<Placement, 'name' | 'place'>): Placement {
  return { name, place: place('policies/placement.yaml'), ...p };
}

export function override(name: string, o: Omit<Override, 'name' | 'place' | 'patches'> & { patches: Array<Omit<Override['patches'][number], 'place'>> }): Override {
  const p = place('policies/overrides.yaml');
  return { name, place: p, ...o, patches: o.patches.map((op, i) => ({ ...op, place: { ...p, line: p.line + 1 + i } })) };
}

export function observed(extra: Partial<ClusterObservation> = {}): ClusterObservation {
  return { health: 'Ready', nodePorts: [], ingresses: [], workloads: [], ...extra };
}

/** The seed's example: nginx Deployment (50), NodePort Service, Ingress with a static IP, over 3 clusters. */
export function sampleFleet(): Fleet {
  return fleet({
    clusters: [
      cluster('us-east1', { gce: { project: 'demo', zone: 'us-east1-b' } }),
      cluster('europe-west1', { gce: { project: 'demo', zone: 'europe-west1-c' } }),
      cluster('asia-east1', { gce: { project: 'demo', zone: 'asia-east1-a' } }),
    ],
    manifests: [deployment('nginx', 50), service('nginx'), ingress('nginx', 'nginx')],
  });
}
