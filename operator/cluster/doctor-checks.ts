// The seed's troubleshooting guide as checks: each returns one verdict line
// with the fix. Works from a reconcile result (writes: none) plus a
// SelfSubjectAccessReview per permission gitfed needs.
import { ingressClassOf, isGceClass, serviceType } from '../core/ingress.js';
import { STATIC_IP_ANNOTATION } from '../core/labels.js';
import type { Fleet } from '../core/model.js';
import { describeRef, refOf } from '../core/object-keys.js';
import type { Connection } from './connect.js';
import type { ReconcileResult } from './reconcile-types.js';

export type Verdict = 'OK' | 'WARN' | 'FAIL';

export interface Check {
  verdict: Verdict;
  check: string;
  message: string;
  fix?: string;
}

/** What gitfed does in a member cluster: [group, resource, verbs]. */
export const NEEDED_PERMISSIONS: Array<[string, string, string[]]> = [
  ['', 'namespaces', ['get', 'list', 'create', 'patch']],
  ['', 'configmaps', ['get', 'list', 'create', 'patch', 'delete']],
  ['', 'services', ['get', 'list', 'create', 'patch', 'delete']],
  ['', 'pods', ['list']],
  ['apps', 'deployments', ['get', 'list', 'create', 'patch', 'delete']],
  ['apps', 'replicasets', ['get', 'list', 'create', 'patch', 'delete']],
  ['networking.k8s.io', 'ingresses', ['get', 'list', 'create', 'patch', 'delete']],
  ['discovery.k8s.io', 'endpointslices', ['list']],
];

export async function permissionChecks(conn: Connection): Promise<Check[]> {
  const missing: string[] = [];
  await Promise.all(NEEDED_PERMISSIONS.flatMap(([group, resource, verbs]) => verbs.map(async (verb) => {
    const r = await conn.http.request<{ status?: { allowed?: boolean } }>({
      method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { group, resource, verb } } },
    });
    if (r.status !== 201 || !r.body.status?.allowed) missing.push(`${verb} ${group ? `${resource}.${group}` : resource}`);
  })));
  missing.sort();
  return [missing.length === 0
    ? { verdict: 'OK', check: 'permissions', message: `cluster ${conn.cluster}: gitfed may do everything it needs` }
    : { verdict: 'FAIL', check: 'permissions', message: `cluster ${conn.cluster}: gitfed's credentials lack: ${missing.join(', ')}`, fix: `grant these verbs to the kubeconfig user of context ${conn.context} (e.g. a ClusterRole bound to it)` }];
}

export function fleetChecks(fleet: Fleet, r: ReconcileResult): Check[] {
  const out: Check[] = [];
  for (const c of r.clusters) {
    if (c.skipped === 'paused') out.push({ verdict: 'WARN', check: 'cluster', message: `cluster ${c.cluster} is paused`, fix: 'set spec.paused: false in its Cluster file to manage it again' });
    else if (c.health === 'Ready') out.push({ verdict: 'OK', check: 'cluster', message: `cluster ${c.cluster} is registered and Ready` });
    else out.push({ verdict: 'FAIL', check: 'cluster', message: `cluster ${c.cluster} is ${c.health} (${c.reason}): ${c.message}`, fix: c.reason === 'NoKubeconfig' ? 'add its context to the kubeconfig or fix spec.context' : c.reason === 'Unauthorized' ? 'fix the credentials of its kubeconfig context' : 'check that its apiserver runs and is reachable from gitfed' });
  }
  // A part of a cluster that could not be observed blocks what depends on it.
  for (const f of r.findings.filter((x) => x.code === 'ObservationFailed')) {
    out.push({ verdict: 'FAIL', check: 'observe', message: f.message, fix: 'grant gitfed list/watch on that resource in this cluster (see the permissions check) or fix the apiserver error; gitfed writes the blocked objects once it can observe' });
  }
  // Node ports identical across clusters, as observed.
  for (const [svc, ports] of Object.entries(r.allocations.nodePorts)) {
    for (const [port, want] of Object.entries(ports)) {
      const differ = r.clusters.filter((c) => c.objects.some((o) => o.ref.kind === 'Service' && `${o.ref.namespace}/${o.ref.name}` === svc && o.diff?.some((d) => d.path.includes('nodePort'))));
      out.push(differ.length === 0
        ? { verdict: 'OK', check: 'node-ports', message: `Service ${svc} port ${port}: nodePort ${want} in every cluster` }
        : { verdict: 'FAIL', check: 'node-ports', message: `Service ${svc} port ${port}: nodePort differs from ${want} in ${differ.map((c) => c.cluster).join(', ')}`, fix: 'run gitfed apply: it sets the shared nodePort everywhere' });
    }
  }
  // GLBC uid: one uid, unique provider-uids, and the clusters that keep another uid because of existing Ingresses.
  const mismatch = r.findings.filter((f) => f.code === 'GlbcUidMismatch');
  for (const f of mismatch) out.push({ verdict: 'FAIL', check: 'glbc-uid', message: f.message, fix: 'delete or migrate that cluster\'s existing Ingresses, then apply; or adopt its uid fleet-wide via allocations glbc.uid' });
  const uids = new Set(Object.values(r.allocations.glbc.providerUids));
  if (mismatch.length === 0 && r.allocations.glbc.uid) out.push({ verdict: 'OK', check: 'glbc-uid', message: `one GLBC uid ${r.allocations.glbc.uid}; ${uids.size} distinct provider-uid(s) for ${Object.keys(r.allocations.glbc.providerUids).length} GCE cluster(s)` });
  for (const f of r.findings.filter((x) => x.code === 'ProviderUidDuplicate')) out.push({ verdict: 'WARN', check: 'glbc-uid', message: f.message, fix: 'gitfed apply rewrites it' });
  // Ingress class, static IP, and the Services behind federated Ingresses.
  for (const m of fleet.manifests) {
    const obj = m.object;
    if (obj.kind !== 'Ingress') continue;
    const name = describeRef(refOf(obj));
    const cls = ingressClassOf(obj);
    if (!isGceClass(cls)) { out.push({ verdict: 'WARN', check: 'ingress', message: `${name} has class ${cls}: not a GCE (GLBC) Ingress, so it is not federated into one load balancer` }); continue; }
    const ip = obj.metadata.annotations?.[STATIC_IP_ANNOTATION];
    out.push(ip ? { verdict: 'OK', check: 'ingress', message: `${name}: class gce, static IP ${ip}` } : { verdict: 'WARN', check: 'ingress', message: `${name}: no ${STATIC_IP_ANNOTATION}`, fix: 'reserve a global address (gcloud compute addresses create NAME --global) and name it in the annotation' });
  }
  for (const m of fleet.manifests) {
    if (m.object.kind !== 'Service') continue;
    const key = `${m.object.metadata.namespace ?? 'default'}/${m.object.metadata.name}`;
    if (!(key in r.allocations.nodePorts) && !r.findings.some((f) => f.code === 'BackendServiceType' && f.message.includes(key))) continue;
    const type = serviceType(m.object);
    out.push(type === 'NodePort' || type === 'LoadBalancer' ? { verdict: 'OK', check: 'service', message: `Service ${key} behind an Ingress is of type ${type}` } : { verdict: 'FAIL', check: 'service', message: `Service ${key} behind an Ingress is of type ${type}`, fix: 'set spec.type: NodePort' });
  }
  for (const f of r.findings.filter((x) => x.code === 'BackendServiceType')) out.push({ verdict: 'FAIL', check: 'service', message: f.message, fix: 'set spec.type: NodePort' });
  // Ready endpoints in every cluster.
  for (const i of r.ingresses) {
    const shards = i.shards.filter((s) => r.clusters.find((c) => c.cluster === s.cluster)?.health === 'Ready');
    const empty = shards.filter((s) => s.readyEndpoints === 0);
    const counts = shards.map((s) => `${s.cluster}=${s.readyEndpoints}/${s.totalEndpoints}`).join(' ');
    if (empty.length) out.push({ verdict: 'FAIL', check: 'endpoints', message: `Ingress ${i.ref.namespace}/${i.ref.name}: no ready endpoints in ${empty.map((s) => s.cluster).join(', ')} (${counts}); GLBC sends that cluster's traffic elsewhere`, fix: 'look at the Pods there (kubectl get pods), at node health and at unschedulable Pods' });
    else {
      const readies = shards.map((s) => s.readyEndpoints);
      const uneven = readies.length > 1 && Math.max(...readies) > 2 * Math.max(1, Math.min(...readies));
      out.push({ verdict: uneven ? 'WARN' : 'OK', check: 'endpoints', message: `Ingress ${i.ref.namespace}/${i.ref.name}: ready endpoints ${counts}${uneven ? ' (uneven load)' : ''}`, ...(uneven ? { fix: 'check the replica split (Placement weights) and cluster capacity' } : {}) });
    }
  }
  return out;
}
