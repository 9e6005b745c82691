// One observation pass over one cluster: health, then (if Ready) everything
// the render core needs plus what apply, prune, drift and status need, in a
// handful of LIST requests. Every request has a timeout; a dead cluster costs
// one probe timeout and never holds up the others (callers run clusters in parallel).
// The operator's connections carry a health monitor: a tick then reads its
// verdict instead of probing (health-monitor.ts says when it probes anyway).
import { isGceClass } from '../core/ingress.js';
import { FLEET_LABEL, INGRESS_CLASS_ANNOTATION, INGRESS_UID_NAME, INGRESS_UID_NAMESPACE, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../core/labels.js';
import type { ClusterObservation, KubeObject, ObservationFailures, ObservedWorkload } from '../core/model.js';
import { groupOf, keyOf, refOf } from '../core/object-keys.js';
import { ALL_PARTS, type ObservationNeeds } from '../core/observation-needs.js';
import type { Connection } from './connect.js';
import { probeHealth, type HealthProbe } from './health.js';
import { statusMessage } from './kube-types.js';
import { WatchCache } from './watch-cache.js';
import { projectDeployment, projectEndpointSlice, projectIngress, projectService, selectorString } from './watch-projections.js';

export interface EndpointCount {
  ready: number;
  total: number;
}

export interface LiveCluster {
  cluster: string;
  probe: HealthProbe;
  observation: ClusterObservation;
  /** Objects carrying this fleet's ownership labels, by keyOf(ref). */
  owned: Map<string, KubeObject>;
  /** "namespace/service" -> endpoints (counted per Pod: hollow Pods share one IP). */
  endpoints: Map<string, EndpointCount>;
  /** Live Ingresses by "namespace/name" (annotations and status for status output). */
  ingresses: Map<string, KubeObject>;
  errors: string[];
  /**
   * Parts whose LIST failed this tick, so that nobody reads their empty maps
   * as "nothing there": ready endpoints (a cluster leaving a shared load
   * balancer must not look drained), and the owned kinds (by kindKey) whose
   * labelled LIST failed (their objects must not look deleted by hand).
   */
  unobserved?: { endpoints?: string; ownedKinds?: ReadonlySet<string> };
}

/** What a failed owned-objects LIST is remembered by: group and kind, not version. */
export function kindKey(apiVersion: string, kind: string): string {
  return `${groupOf(apiVersion)}/${kind}`;
}

/** Kinds gitfed looks for when pruning, besides every kind the fleet renders. */
export const PRUNE_KINDS: Array<[string, string]> = [
  ['v1', 'Namespace'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['v1', 'Service'], ['v1', 'ServiceAccount'],
  ['apps/v1', 'Deployment'], ['apps/v1', 'ReplicaSet'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'],
  ['networking.k8s.io/v1', 'Ingress'],
];

interface List<T = any> { items: T[] }

/**
 * A LIST, from the connection's watch cache when it has one (the operator), else
 * from the server. A cache that is not synced (its watch is failing) is never
 * read as if current: the LIST goes to the server, and the watch's error is
 * reported with the cluster (watchErrors). `project` trims what a cache keeps.
 */
async function list<T = any>(conn: Connection, path: string, apiVersion = 'v1', kind = '', project?: (o: KubeObject) => KubeObject): Promise<T[]> {
  if (conn.caches) {
    let cache = conn.caches.get(path);
    if (!cache) {
      cache = new WatchCache(conn.http, path, apiVersion, kind, { ...conn.watch, ...(project ? { project } : {}) });
      conn.caches.set(path, cache);
      await cache.start();
    }
    if (cache.synced) return cache.items() as T[];
  }
  const r = await conn.http.request<List<T>>({ path });
  if (r.status !== 200) throw new Error(`GET ${path}: ${statusMessage(r)}`);
  return r.body.items ?? [];
}

/** One line per failing watch of this connection, for the cluster's errors (status, errors.yaml, logs). */
export function watchErrors(conn: Connection): string[] {
  return [...conn.caches?.values() ?? []].map((c) => c.state()).filter((w) => w.error)
    .map((w) => `watch ${w.kind}: ${w.error!.message} (${w.error!.code}, failing since ${w.error!.since})`);
}

function collectionPath(groupVersion: string, resource: string): string {
  return groupVersion.includes('/') ? `/apis/${groupVersion}/${resource}` : `/api/${groupVersion}/${resource}`;
}

export interface ObserveOptions {
  fleetName: string;
  /** Kinds to list for ownership, as [apiVersion, kind]. */
  kinds: Array<[string, string]>;
  /** Pods Pending as Unschedulable for longer than this mean the cluster is full. */
  unschedulableAfterMs?: number;
  now?: number;
  probeTimeoutMs?: number;
  /** Parts of the observation to make (core/observation-needs.ts); default all. */
  needs?: ObservationNeeds;
}

export async function observeCluster(conn: Connection, opts: ObserveOptions): Promise<LiveCluster> {
  if (conn.health) {
    const probe = await conn.health.verdict();
    return probe.health === 'Ready' ? observeReady(conn, opts, probe) : emptyLive(conn.cluster, probe);
  }
  // A one-shot caller probes and lists at once (one round trip less on each
  // cluster); what the LISTs found counts only if the probe says Ready.
  const listing = observeReady(conn, opts, { health: 'Ready', reason: 'ClusterReady', message: '' });
  listing.catch(() => undefined);
  const probe = await probeHealth(conn.http, opts.probeTimeoutMs);
  if (probe.health !== 'Ready') return emptyLive(conn.cluster, probe);
  const live = await listing;
  live.probe = probe;
  return live;
}

/** A cluster with nothing observed yet (or nothing to observe: not Ready, no connection). */
export function emptyLive(cluster: string, probe: HealthProbe): LiveCluster {
  return {
    cluster, probe, observation: { health: probe.health, nodePorts: [], ingresses: [], workloads: [] },
    owned: new Map(), endpoints: new Map(), ingresses: new Map(), errors: [],
  };
}

async function observeReady(conn: Connection, opts: ObserveOptions, probe: HealthProbe): Promise<LiveCluster> {
  const live = emptyLive(conn.cluster, probe);
  const needs = opts.needs ?? ALL_PARTS;
  const selector = encodeURIComponent(`${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${FLEET_LABEL}=${opts.fleetName}`);
  // A failed part is recorded as failed, never as an empty list: the render
  // core then blocks what depends on it instead of writing blind.
  // The steps run at once, but their errors are listed in the order written
  // here, not in the order they failed: the cluster's errors (and the status
  // files made from them) stay the same from one tick to the next.
  const failures: Array<string | undefined> = [];
  const step = async (what: string, fn: () => Promise<void>, part?: keyof ObservationFailures, onFail?: (message: string) => void) => {
    const slot = failures.push(undefined) - 1;
    try { await fn(); } catch (e) {
      failures[slot] = `${what}: ${(e as Error).message}`;
      if (part) live.observation.failed = { ...live.observation.failed, [part]: (e as Error).message };
      onFail?.((e as Error).message);
    }
  };
  await Promise.all([
    needs.nodePorts && step('services', async () => {
      for (const s of await list(conn, '/api/v1/services', 'v1', 'Service', projectService)) {
        for (const p of s.spec?.ports ?? []) {
          if (p.nodePort) live.observation.nodePorts.push({ port: p.nodePort, namespace: s.metadata.namespace, service: s.metadata.name, servicePort: p.name ?? String(p.port) });
        }
      }
    }, 'nodePorts'),
    needs.ingressUid && step('ingress-uid ConfigMap', async () => {
      const [cm] = await list<{ data?: Record<string, string> }>(conn, `/api/v1/namespaces/${INGRESS_UID_NAMESPACE}/configmaps?fieldSelector=${encodeURIComponent(`metadata.name=${INGRESS_UID_NAME}`)}`, 'v1', 'ConfigMap');
      if (cm) {
        const d = cm.data ?? {};
        live.observation.ingressUid = { ...(d.uid ? { uid: d.uid } : {}), ...(d['provider-uid'] ? { providerUid: d['provider-uid'] } : {}) };
      }
    }, 'ingressUid'),
    needs.ingresses && step('ingresses', async () => {
      for (const i of await list(conn, '/apis/networking.k8s.io/v1/ingresses', 'networking.k8s.io/v1', 'Ingress', projectIngress)) {
        const cls = i.metadata.annotations?.[INGRESS_CLASS_ANNOTATION] ?? i.spec?.ingressClassName;
        live.observation.ingresses.push({
          namespace: i.metadata.namespace, name: i.metadata.name, ...(cls ? { ingressClass: cls } : {}),
          annotations: i.metadata.annotations ?? {}, ips: (i.status?.loadBalancer?.ingress ?? []).map((x: any) => x.ip ?? x.hostname).filter(Boolean),
        });
        if (isGceClass(cls)) live.ingresses.set(`${i.metadata.namespace}/${i.metadata.name}`, i);
      }
    }, 'ingresses'),
    needs.endpoints && step('endpoints', async () => {
      const pods = new Map<string, { ready: Set<string>; all: Set<string> }>();
      for (const s of await list(conn, '/apis/discovery.k8s.io/v1/endpointslices', 'discovery.k8s.io/v1', 'EndpointSlice', projectEndpointSlice)) {
        const svc = s.metadata.labels?.['kubernetes.io/service-name'];
        if (!svc) continue;
        const k = `${s.metadata.namespace}/${svc}`;
        const e = pods.get(k) ?? { ready: new Set(), all: new Set() };
        for (const ep of s.endpoints ?? []) {
          const id = ep.targetRef?.name ?? (ep.addresses ?? []).join(',');
          e.all.add(id);
          if (ep.conditions?.ready !== false) e.ready.add(id);
        }
        pods.set(k, e);
      }
      for (const [k, e] of pods) live.endpoints.set(k, { ready: e.ready.size, total: e.all.size });
    }, undefined, (message) => {
      live.endpoints.clear();
      live.unobserved = { ...live.unobserved, endpoints: message };
    }),
    step('owned objects', async () => {
      // Each kind on its own: a kind whose LIST failed is remembered as
      // unobserved, and the kinds that were listed still count.
      const perKind = await Promise.allSettled(opts.kinds.map(async ([apiVersion, kind]) => {
        const info = await conn.discovery.resource(apiVersion, kind).catch(() => undefined);
        if (!info) return [];
        const items = await list<KubeObject>(conn, `${collectionPath(info.groupVersion, info.name)}?labelSelector=${selector}`, apiVersion, kind);
        for (const o of items) {
          o.apiVersion ??= apiVersion;
          o.kind ??= kind;
        }
        return items;
      }));
      const failed = new Set<string>();
      perKind.forEach((r, i) => {
        if (r.status === 'fulfilled') for (const o of r.value) live.owned.set(keyOf(refOf(o)), o);
        else failed.add(kindKey(...opts.kinds[i]!));
      });
      if (failed.size) live.unobserved = { ...live.unobserved, ownedKinds: failed };
      // The first failure in the order of the kinds, not in time: the same error from one tick to the next.
      const first = perKind.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (first) throw first.reason;
    }),
    needs.workloads && step('workloads', async () => {
      live.observation.workloads = await workloads(conn, opts, selector);
    }, 'workloads'),
  ]);
  live.errors.push(...failures.filter((f): f is string => f !== undefined), ...watchErrors(conn));
  return live;
}

/**
 * Like Promise.all, but waits for every promise and throws the first failure
 * in the order given, not the first in time: the error a tick reports does
 * not change with which request happened to answer first.
 */
async function settledInOrder<T extends unknown[]>(ps: [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const out = await Promise.allSettled(ps);
  const failed = out.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return out.map((o) => (o as PromiseFulfilledResult<unknown>).value) as T;
}

/**
 * Deployments (all, trimmed) and this fleet's ReplicaSets with replicas, and
 * Pods stuck Unschedulable (capacity). Pods are listed only for a workload
 * of this fleet that lacks ready replicas, and only that workload's Pending
 * Pods: no cache ever holds the cluster's Pods.
 */
async function workloads(conn: Connection, opts: ObserveOptions, ownedSelector: string): Promise<ObservedWorkload[]> {
  // Both LISTs run at once; when both fail, the error is always the
  // Deployments' (not whichever answered first).
  const [deps, rss] = await settledInOrder([
    list(conn, '/apis/apps/v1/deployments', 'apps/v1', 'Deployment', projectDeployment),
    list(conn, `/apis/apps/v1/replicasets?labelSelector=${ownedSelector}`, 'apps/v1', 'ReplicaSet'),
  ]);
  const now = opts.now ?? Date.now();
  const threshold = opts.unschedulableAfterMs ?? 60_000;
  const owned = (w: any) => w.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && w.metadata.labels?.[FLEET_LABEL] === opts.fleetName;
  const short = [...deps.map((w) => ['Deployment', w] as const), ...rss.map((w) => ['ReplicaSet', w] as const)]
    .filter(([, w]) => owned(w) && (w.spec?.replicas ?? 0) > (w.status?.readyReplicas ?? 0) && w.spec?.selector);
  const stuck = new Map<string, number>();
  await settledInOrder(short.map(async ([kind, w]) => {
    const q = `labelSelector=${encodeURIComponent(selectorString(w.spec.selector))}&fieldSelector=${encodeURIComponent('status.phase=Pending')}`;
    const r = await conn.http.request<List>({ path: `/api/v1/namespaces/${encodeURIComponent(w.metadata.namespace)}/pods?${q}` });
    if (r.status !== 200) throw new Error(`GET Pending Pods of ${kind} ${w.metadata.namespace}/${w.metadata.name}: ${statusMessage(r)}`);
    for (const p of r.body.items ?? []) {
      const cond = (p.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
      if (!cond || now - Date.parse(cond.lastTransitionTime) < threshold) continue;
      // A Deployment's Pods belong to its ReplicaSets "<name>-<hash>"; a ReplicaSet's to itself.
      const rs = (p.metadata.ownerReferences ?? []).find((o: any) => o.kind === 'ReplicaSet')?.name as string | undefined;
      if (!rs || (kind === 'Deployment' ? !rs.startsWith(`${w.metadata.name}-`) : rs !== w.metadata.name)) continue;
      const key = `${kind}/${w.metadata.namespace}/${w.metadata.name}`;
      stuck.set(key, (stuck.get(key) ?? 0) + 1);
    }
  }));
  const out: ObservedWorkload[] = [];
  for (const [kind, items] of [['Deployment', deps], ['ReplicaSet', rss]] as const) {
    for (const w of items) {
      const key = `${kind}/${w.metadata.namespace}/${w.metadata.name}`;
      out.push({
        kind, namespace: w.metadata.namespace, name: w.metadata.name,
        replicas: w.spec?.replicas ?? 0, readyReplicas: w.status?.readyReplicas ?? 0,
        ...(stuck.get(key) ? { unschedulable: stuck.get(key) } : {}),
      });
    }
  }
  return out;
}
