// An Override that renames an ordinary ConfigMap into kube-system/ingress-uid
// (the GLBC uid every load balancer of a cluster hangs on). `gitfed apply`
// must refuse it at the patch's line; the uid ConfigMap must not change.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withViews } from '../cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { fleetDef, override, writeFleetDir } from '../fleet-dir.js';
import { cliCrashed, runGitfed } from '../gitfed-process.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';

export async function overrideIntoIngressUid(env: FaultEnv): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'override-uid');
  const def = fleetDef(env, uniqueName('f-ovr'));
  const clusters = [env.a, env.b];
  const before = await withViews(clusters, (views) => Promise.all(views.map((v) => v.ingressUid())));
  try {
    const fleet = await writeFleetDir(join(dir, 'fleet'), def, {
      'manifests/app.yaml': [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: def.ns } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'decoy', namespace: def.ns }, data: { uid: 'attacker00000000', 'provider-uid': 'attacker00000000' } },
      ],
      'policies/overrides.yaml': [override(def, { kind: 'ConfigMap', name: 'decoy', namespace: def.ns }, [
        { op: 'replace', path: '/metadata/name', value: 'ingress-uid' },
        { op: 'replace', path: '/metadata/namespace', value: 'kube-system' },
      ])],
    });
    const r = await runGitfed(env.root, ['apply', fleet, '--kubeconfig', await writeKubeconfig(dir, clusters)]);
    outcome.crashed = cliCrashed(r, [0, 1]);
    if (r.code === 0) outcome.notes.push('apply accepted the Override (exit 0)');
    const after = await withViews(clusters, (views) => Promise.all(views.map((v) => v.ingressUid())));
    clusters.forEach((c, i) => {
      if (JSON.stringify(before[i]) !== JSON.stringify(after[i])) {
        outcome.unsafe++;
        outcome.notes.push(`${c.name} kube-system/ingress-uid became ${JSON.stringify(after[i])}`);
      }
    });
    return outcome;
  } finally {
    await withViews(clusters, async (views) => {
      for (const [i, v] of views.entries()) {
        if (JSON.stringify(await v.ingressUid()) !== JSON.stringify(before[i])) await v.setIngressUid(before[i]);
        await v.delete(`/api/v1/namespaces/${def.ns}`).catch(() => undefined);
      }
    });
    await rm(dir, { recursive: true, force: true });
  }
}
