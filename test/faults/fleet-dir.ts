// A fleet written to a plain directory (for the one-shot CLI faults): the
// sandbox's clusters A and B plus whatever manifests and policies a fault needs.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { FaultEnv } from './env.js';
import { clusterObjects, type FleetDef } from './fleet.js';

export function fleetDef(env: FaultEnv, name: string, provider: 'gce' | 'other' = 'other'): FleetDef {
  return { name, ns: name, provider, clusters: { [env.a.name]: env.a.name, [env.b.name]: env.b.name } };
}

export async function writeFleetDir(dir: string, def: FleetDef, files: Record<string, unknown[]>): Promise<string> {
  const all: Record<string, unknown[]> = {
    'clusters/clusters.yaml': clusterObjects(def),
    'policies/fleet.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: def.name } }],
    ...files,
  };
  for (const [p, objects] of Object.entries(all)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), objects.map((o) => stringify(o)).join('---\n'));
  }
  return dir;
}

/** An Override of one object in both clusters. */
export function override(def: FleetDef, target: { kind: string; name: string; namespace?: string }, patches: unknown[]): unknown {
  return {
    apiVersion: 'gitfed.io/v1alpha1', kind: 'Override', metadata: { name: 'attack' },
    spec: { resources: [target], clusters: { names: Object.keys(def.clusters) }, patches },
  };
}
