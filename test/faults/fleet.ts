// The fleet the operator faults use: a namespace, a Deployment, a Service and
// a batch of ConfigMaps whose data carries the revision number, plus one
// ConfigMap named after the revision (so a revision that never arrives shows
// up as missing objects, not only as stale data). Clusters are
// `provider: other` so these fleets never touch kube-system/ingress-uid (the
// faults about the GLBC uid set it up on purpose).
import { stringify } from 'yaml';

export interface FleetDef {
  name: string;
  ns: string;
  /** cluster name -> kubeconfig context */
  clusters: Record<string, string>;
  provider?: 'gce' | 'other';
  configMaps?: number;
  /** DriftPolicy mode heal: hand deletions are healed (the git faults check that). */
  heal?: boolean;
}

export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };

function yamlDocs(objects: unknown[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

export function clusterObjects(def: FleetDef): unknown[] {
  return Object.entries(def.clusters).map(([name, context]) => ({
    apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name },
    spec: { context, provider: def.provider ?? 'other', ...(def.provider === 'gce' ? { gce: { project: 'faults', zone: ZONES[name] ?? `${name}-a` } } : {}) },
  }));
}

export function appObjects(def: FleetDef, rev: number): Array<ObjectKey & Record<string, unknown>> {
  const labels = { app: 'web' };
  const cms = Array.from({ length: def.configMaps ?? 20 }, (_, i) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c-${i}`, namespace: def.ns }, data: { rev: String(rev) },
  }));
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: def.ns } },
    ...cms,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `added-${rev}`, namespace: def.ns }, data: { rev: String(rev) } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: def.ns }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: def.ns },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    },
  ].map((o) => ({ ...o, name: o.metadata.name, ...(o.kind === 'Namespace' ? {} : { namespace: def.ns }) }));
}

/** Every file of the fleet at a revision (paths relative to the fleet root). */
export function fleetFiles(def: FleetDef, rev: number): Record<string, string> {
  const files: Record<string, string> = {
    'clusters/clusters.yaml': yamlDocs(clusterObjects(def)),
    'policies/fleet.yaml': yamlDocs([{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: def.name } }]),
    'manifests/app.yaml': yamlDocs(appObjects(def, rev).map(({ name: _n, namespace: _ns, ...o }) => o)),
  };
  if (def.heal) files['policies/drift.yaml'] = yamlDocs([{ apiVersion: 'gitfed.io/v1alpha1', kind: 'DriftPolicy', metadata: { name: 'heal' }, spec: { mode: 'heal' } }]);
  return files;
}

/** What every member cluster must hold at a revision. */
export function expectedKeys(def: FleetDef, rev: number): ObjectKey[] {
  return appObjects(def, rev).map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) }));
}
