// Cluster B already serves a GCE Ingress under GLBC uid "zzzz..." while the
// fleet's uid is "aaaa..." (cluster A's): gitfed must leave B's uid alone.
// Here listing Ingresses in B fails (403 through the fault proxy, as a
// missing RBAC rule would), so gitfed cannot see that Ingress: an object whose
// safety depends on that observation must not be written in B (the uid
// ConfigMap, the fleet's Ingress). Cluster A, observed fine, gets everything.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { objectPath, withViews } from '../cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { fleetDef, writeFleetDir } from '../fleet-dir.js';
import { cliCrashed, runGitfed } from '../gitfed-process.js';
import { startApiserverProxy } from '../injectors/apiserver-proxy.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';

const FLEET_UID = { uid: 'aaaa000000000001', 'provider-uid': 'aaaa0000000000a1' };
const LEGACY_UID = { uid: 'zzzz000000000001', 'provider-uid': 'zzzz0000000000b1' };

function ingress(ns: string, name: string, service: string): any {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, namespace: ns, annotations: { 'kubernetes.io/ingress.class': 'gce', 'kubernetes.io/ingress.global-static-ip-name': `${ns}-ip` } },
    spec: { defaultBackend: { service: { name: service, port: { number: 80 } } } },
  };
}

export async function ingressObservationFails(env: FaultEnv): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'observe');
  const def = fleetDef(env, uniqueName('f-obs'), 'gce');
  const legacyNs = `${def.ns}-legacy`;
  const clusters = [env.a, env.b];
  const before = await withViews(clusters, (views) => Promise.all(views.map((v) => v.ingressUid())));
  const proxy = await startApiserverProxy(env.sb, env.b);
  try {
    await withViews(clusters, async ([a, b]) => {
      await a!.setIngressUid(FLEET_UID);
      await b!.setIngressUid(LEGACY_UID);
      await b!.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: legacyNs } });
      await b!.put(ingress(legacyNs, 'old', 'old'));
    });
    const fleet = await writeFleetDir(join(dir, 'fleet'), def, {
      'manifests/app.yaml': [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: def.ns } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: def.ns }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] } },
        ingress(def.ns, 'web', 'web'),
      ],
    });
    // Every LIST and WATCH of Ingresses in B is forbidden; writes still go through.
    proxy.setRule((r) => (r.method === 'GET' && r.path.startsWith('/apis/networking.k8s.io/v1/ingresses') ? { status: 403, body: 'status' } : undefined));
    const kubeconfig = await writeKubeconfig(dir, clusters, { [env.b.name]: proxy.url });
    const r = await runGitfed(env.root, ['run', '--dir', fleet, '--status-dir', join(dir, 'status'), '--kubeconfig', kubeconfig, '--once', '--listen', '127.0.0.1:0', '--log-format', 'json']);
    outcome.crashed = cliCrashed(r, [0, 1]);
    if (proxy.faulted() === 0) outcome.problems.push('fault not exercised: gitfed never listed Ingresses in B');
    await withViews(clusters, async ([a, b]) => {
      const uidB = await b!.ingressUid();
      if (uidB?.uid !== LEGACY_UID.uid) {
        outcome.unsafe++;
        outcome.notes.push(`${env.b.name} kube-system/ingress-uid uid became ${uidB?.uid ?? 'absent'}`);
      }
      if (await b!.get(objectPath({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: def.ns, name: 'web' }))) {
        outcome.unsafe++;
        outcome.notes.push(`${env.b.name} Ingress ${def.ns}/web was written without seeing B's Ingresses`);
      }
      outcome.lost += (await a!.missing([
        { apiVersion: 'v1', kind: 'Service', namespace: def.ns, name: 'web' },
        { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: def.ns, name: 'web' },
      ])).length;
    });
    return outcome;
  } finally {
    await proxy.close();
    await withViews(clusters, async (views) => {
      for (const [i, v] of views.entries()) {
        await v.setIngressUid(before[i]).catch(() => undefined);
        for (const ns of [def.ns, legacyNs]) await v.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
      }
    });
    await rm(dir, { recursive: true, force: true });
  }
}
