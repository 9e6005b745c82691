// A CRD and its custom resources in ONE revision (a third-party bundle):
// one `gitfed apply` must install the CRD, wait until it is served, and then
// create the resources, in every cluster.
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { objectPath, withViews } from '../cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { clusterObjects, type FleetDef } from '../fleet.js';
import { cliCrashed, runGitfed } from '../gitfed-process.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';

export async function crdWithItsResources(env: FaultEnv): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'crd');
  const name = uniqueName('f-crd');
  // A group of its own per run: the CRD must be new to the clusters every time.
  const group = `${name}.faults.example.com`;
  const def: FleetDef = { name, ns: name, clusters: { [env.a.name]: env.a.name, [env.b.name]: env.b.name } };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `crontabs.${group}` },
    spec: {
      group, scope: 'Namespaced', names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' } } } } } } }],
    },
  };
  const crs = ['nightly', 'hourly'].map((n) => ({ apiVersion: `${group}/v1`, kind: 'CronTab', metadata: { name: n, namespace: name }, spec: { cronSpec: '0 * * * *' } }));
  const fleetDir = join(dir, 'fleet');
  try {
    for (const d of ['clusters', 'manifests', 'policies']) await mkdir(join(fleetDir, d), { recursive: true });
    await writeFile(join(fleetDir, 'clusters/clusters.yaml'), clusterObjects(def).map((o) => stringify(o)).join('---\n'));
    await writeFile(join(fleetDir, 'policies/fleet.yaml'), stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name } }));
    await writeFile(join(fleetDir, 'manifests/bundle.yaml'), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, crd, ...crs].map((o) => stringify(o)).join('---\n'));
    const kubeconfig = await writeKubeconfig(dir, [env.a, env.b]);
    const r = await runGitfed(env.root, ['apply', fleetDir, '--kubeconfig', kubeconfig]);
    outcome.crashed = cliCrashed(r, [0, 1]);
    if (r.code !== 0) outcome.notes.push(`apply exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)?.slice(0, 200)}`);
    await withViews([env.a, env.b], async (views) => {
      for (const v of views) {
        const missing = await v.missing([
          { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name },
          ...crs.map((c) => ({ apiVersion: c.apiVersion, kind: 'CronTab', namespace: name, name: c.metadata.name })),
        ]);
        outcome.lost += missing.length;
      }
    });
    return outcome;
  } finally {
    await withViews([env.a, env.b], async (views) => {
      for (const v of views) {
        await v.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
        await v.delete(objectPath({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name })).catch(() => undefined);
      }
    });
    await rm(dir, { recursive: true, force: true });
  }
}
