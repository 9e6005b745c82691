// Writes a throwaway fleet repo for integration tests: the sandbox's clusters,
// a fleet name of its own (so prune never touches another test's objects) and
// the manifests in a namespace of its own.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };

export interface FleetSpec {
  name: string;
  clusters: string[];
  /** cluster -> kubeconfig context (default: the cluster name) */
  contexts?: Record<string, string>;
  /** relative path -> objects (written as multi-document YAML) */
  files: Record<string, unknown[]>;
  /** Cluster spec.provider (default gce, with a project and zone); any other value: no GCE at all. */
  provider?: string;
}

export async function writeFleet(spec: FleetSpec, dir?: string): Promise<string> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'gitfed-fleet-')));
  if (!dir) dirs.push(root);
  await rm(join(root, 'manifests'), { recursive: true, force: true });
  await rm(join(root, 'policies'), { recursive: true, force: true });
  const files: Record<string, unknown[]> = {
    'clusters/clusters.yaml': spec.clusters.map((c) => ({
      apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c, labels: { env: 'test' } },
      spec: { context: spec.contexts?.[c] ?? c, ...(spec.provider && spec.provider !== 'gce' ? { provider: spec.provider } : { gce: { project: 'gitfed-test', zone: ZONES[c] ?? `${c}-a` } }) },
    })),
    'policies/fleet.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: spec.name } }],
    ...spec.files,
  };
  for (const [path, objects] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), objects.map((o) => stringify(o)).join('---\n'));
  }
  return root;
}

export function web(ns: string, opts: { replicas?: number; image?: string; cpu?: string; nodePort?: number } = {}): unknown[] {
  const labels = { app: 'web' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: { replicas: opts.replicas ?? 6, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: opts.image ?? 'nginx:1.27', resources: { requests: { cpu: opts.cpu ?? '10m' } } }] } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { type: 'NodePort', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP', ...(opts.nodePort ? { nodePort: opts.nodePort } : {}) }] } },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns, annotations: { 'kubernetes.io/ingress.class': 'gce', 'kubernetes.io/ingress.global-static-ip-name': `${ns}-ip` } },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    },
  ];
}
