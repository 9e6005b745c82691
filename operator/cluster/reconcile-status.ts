// What a reconcile pass reports about the objects it applied, read from the
// live state it observed: workloads' rollout status (for rollout gates) and
// each federated Ingress across its clusters (for the status commit).
import { ingressBackends } from '../core/ingress.js';
import { STATIC_IP_ANNOTATION } from '../core/labels.js';
import type { KubeObject } from '../core/model.js';
import { describeRef, keyOf, refOf } from '../core/object-keys.js';
import { frontEndNaming } from '../core/glbc-naming.js';
import type { LiveCluster } from './observe.js';
import type { IngressStatus, WorkloadStatus } from './reconcile-types.js';

const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet']);

/** Rollout status of the rendered workloads as the cluster reports them (for rollout gates). */
export function workloadStatus(objects: KubeObject[], owned: Map<string, KubeObject>): WorkloadStatus[] {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).map((o) => {
    const ref = refOf(o);
    const live = owned.get(keyOf(ref)) as (KubeObject & { spec?: { replicas?: number }; status?: Record<string, number> }) | undefined;
    const st = live?.status ?? {};
    return {
      ref, desired: Number((o as { spec?: { replicas?: number } }).spec?.replicas ?? 1), generation: Number((live?.metadata as { generation?: number } | undefined)?.generation ?? 0),
      observedGeneration: st.observedGeneration ?? 0, total: st.replicas ?? 0, ready: st.readyReplicas ?? 0,
      // ReplicaSets have no updatedReplicas: every Pod of a ReplicaSet is of its template.
      updated: o.kind === 'ReplicaSet' ? st.replicas ?? 0 : st.updatedReplicas ?? 0, exists: !!live,
    };
  });
}

/** Each rendered Ingress with its shards: addresses, GLBC backends and ready endpoints per cluster. */
export function ingressStatus(objects: Map<string, KubeObject[]>, lives: LiveCluster[]): IngressStatus[] {
  const out = new Map<string, IngressStatus>();
  for (const [cluster, list] of objects) {
    const live = lives.find((l) => l.cluster === cluster);
    for (const obj of list) {
      if (obj.kind !== 'Ingress') continue;
      const ref = refOf(obj);
      const k = describeRef(ref);
      const st = out.get(k) ?? { ref, ...(obj.metadata.annotations?.[STATIC_IP_ANNOTATION] ? { staticIp: obj.metadata.annotations[STATIC_IP_ANNOTATION] } : {}), addresses: [], shards: [] };
      const li = live?.ingresses.get(`${ref.namespace}/${ref.name}`);
      const ips: string[] = (li?.status as any)?.loadBalancer?.ingress?.map((x: any) => x.ip ?? x.hostname).filter(Boolean) ?? [];
      let backends: Record<string, string> = {};
      try { backends = JSON.parse(li?.metadata.annotations?.['ingress.kubernetes.io/backends'] ?? '{}'); } catch { backends = {}; }
      let ready = 0;
      let total = 0;
      for (const b of ingressBackends(obj)) {
        const e = live?.endpoints.get(`${ref.namespace}/${b.service}`);
        ready += e?.ready ?? 0;
        total += e?.total ?? 0;
      }
      const naming = frontEndNaming(li);
      st.shards.push({ cluster, ips, backends, readyEndpoints: ready, totalEndpoints: total, ...(naming ? { frontEndNaming: naming } : {}) });
      for (const ip of ips) if (!st.addresses.includes(ip)) st.addresses.push(ip);
      out.set(k, st);
    }
  }
  return [...out.values()];
}
