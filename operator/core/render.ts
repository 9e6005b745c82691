// The render core: fleet + observations + previous allocations -> the exact
// objects every member cluster must hold. Pure and deterministic: `plan`,
// `apply` and the operator loop all call this one function.
import { indexFleet, type FleetIndex, type ManifestInfo, WORKLOAD_KINDS } from './fleet-index.js';
import { allocateGlbcUid, type UidResult } from './glbc-uid.js';
import { ingressClassOf, isGceClass, portKey, servicePorts, serviceType } from './ingress.js';
import { FLEET_LABEL, INGRESS_UID_NAME, INGRESS_UID_NAMESPACE, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NO_PRUNE_ANNOTATION, SOURCE_ANNOTATION } from './labels.js';
import {
  type Allocations, type BlockedObject, type ClusterRender, type ClusterSpec, type Finding, type Fleet, type KubeObject,
  type ObjectRef, type Observations, type Override, type RenderResult, hasErrors,
} from './model.js';
import { allocateNodePorts, type NodePortResult, type NodePortService } from './node-ports.js';
import { crdScopes, renderNamespace, type Scope } from './crd-scopes.js';
import { observationGap } from './observation-gaps.js';
import { ownValue } from './own-value.js';
import { compareForApply, effectiveNamespace, refOf } from './object-keys.js';
import { selectClusters, selectsResource } from './selectors.js';
import { applyOverrides } from './overrides.js';
import { planWorkloads, type WorkloadPlans } from './render-replicas.js';
import { validateFleet } from './validate-fleet.js';

export interface RenderInput {
  fleet: Fleet;
  observations: Observations;
  allocations: Allocations;
  /** Findings from loading; errors there stop the render just like validation errors. */
  loadFindings?: readonly Finding[];
  /** See ValidateOptions (a readiness-probe Override behind a federated Ingress is a warning). */
  allowHealthCheckDivergence?: boolean;
}

/** Namespaces every cluster has; never rendered or pruned by gitfed. */
const BUILTIN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** A cluster counts for replicas when it is Ready, or when nothing was observed (offline render). */
export function isReady(obs: Observations, cluster: string): boolean {
  const o = ownValue(obs, cluster);
  return !o || o.health === 'Ready';
}

function own(obj: KubeObject, fleetName: string, source?: string, noPrune = false): KubeObject {
  obj.metadata.labels = { ...obj.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [FLEET_LABEL]: fleetName };
  const ann: Record<string, string> = { ...obj.metadata.annotations };
  if (source) ann[SOURCE_ANNOTATION] = source;
  if (noPrune) ann[NO_PRUNE_ANNOTATION] = 'false';
  if (Object.keys(ann).length > 0) obj.metadata.annotations = ann;
  return obj;
}

interface Decisions {
  index: FleetIndex;
  ports: NodePortResult;
  uid: UidResult;
  replicas: WorkloadPlans;
  /** cluster -> why its Services behind Ingresses (and those Ingresses) are blocked: node ports not observed */
  portGaps: Record<string, Finding>;
  /** Scopes of the custom resources whose CRDs are in the fleet. */
  scopes: Map<string, Scope>;
}

function decide(fleet: Fleet, index: FleetIndex, observations: Observations, previous: Allocations): Decisions {
  const npServices: NodePortService[] = [];
  for (const [svcKey, svc] of index.services) {
    const type = serviceType(svc.source.object);
    const shared = index.ingressBackends.has(svcKey) && (type === 'NodePort' || type === 'LoadBalancer');
    // A Service no Ingress uses still owns the node ports it pins: none may be handed out again.
    if (!shared && !servicePorts(svc.source.object).some((p) => p.nodePort)) continue;
    npServices.push({ source: svc.source, key: svcKey, clusters: svc.clusters.map((c) => c.name), ...(shared ? {} : { pinnedOnly: true }) });
  }
  const gce = fleet.clusters.filter((c) => c.provider === 'gce');
  const portGaps: Record<string, Finding> = {};
  if (npServices.some((s) => !s.pinnedOnly)) {
    for (const c of fleet.clusters) {
      const gap = observationGap(c, observations, ['nodePorts'], 'Services behind federated Ingresses or those Ingresses');
      if (gap) portGaps[c.name] = gap;
    }
  }
  return {
    index,
    portGaps,
    scopes: crdScopes(fleet.manifests),
    ports: allocateNodePorts(npServices, fleet.nodePortPolicy, observations, previous),
    uid: allocateGlbcUid(gce, observations, previous, fleet.settings.name),
    replicas: planWorkloads(index, observations),
  };
}

/**
 * A manifest rendered once for the whole fleet: namespace made explicit,
 * shared node ports set, ownership labels added. Clusters share this object
 * unless something differs per cluster (replicas, an Override), which keeps
 * 10,000 objects x 100 clusters cheap. Rendered objects are never mutated.
 */
interface BaseObject {
  info: ManifestInfo;
  object: KubeObject;
  ref: ObjectRef;
  blocked?: Finding;
  targets: Set<string>;
  overrides: Override[];
  gceIngress: boolean;
  /** A Service behind a federated Ingress: its node port must be free in the cluster. */
  ingressBackend: boolean;
}

function renderBase(m: ManifestInfo, fleet: Fleet, d: Decisions): BaseObject {
  const obj = structuredClone(m.source.object);
  const ref = refOf(obj);
  const ns = effectiveNamespace(obj);
  const written = renderNamespace(obj, d.scopes);
  if (written !== undefined) obj.metadata.namespace = written;
  const base: BaseObject = {
    info: m, object: obj, ref, targets: new Set(m.clusters.map((c) => c.name)),
    overrides: fleet.overrides.filter((o) => selectsResource(o.resources, m.source.object)),
    gceIngress: obj.kind === 'Ingress' && isGceClass(ingressClassOf(obj)),
    ingressBackend: obj.kind === 'Service' && d.index.ingressBackends.has(`${ns}/${obj.metadata.name}`),
  };
  if (obj.kind === 'Service') {
    const svcKey = `${ns}/${obj.metadata.name}`;
    const failed = d.ports.failed.get(svcKey);
    if (failed) base.blocked = failed;
    const ports = ownValue(d.ports.ports, svcKey);
    if (ports) {
      const list = (obj.spec as { ports: Record<string, unknown>[] }).ports;
      for (const p of servicePorts(m.source.object)) list[p.index]!.nodePort = ownValue(ports, portKey(p));
    }
  }
  own(obj, fleet.settings.name, m.source.place.file);
  return base;
}

/** One manifest for one cluster, or the reason it is blocked there. */
function renderObject(b: BaseObject, cluster: ClusterSpec, d: Decisions, overrideTargets: Map<Override, Set<string>>): { object: KubeObject } | { blocked: BlockedObject } {
  if (b.blocked) return { blocked: { ref: b.ref, finding: b.blocked } };
  let obj = b.object;
  const uidGap = ownValue(d.uid.blocked, cluster.name);
  if (b.gceIngress && uidGap) return { blocked: { ref: b.ref, finding: uidGap } };
  const portGap = ownValue(d.portGaps, cluster.name);
  if (portGap && (b.ingressBackend || b.gceIngress)) return { blocked: { ref: b.ref, finding: portGap } };
  if (WORKLOAD_KINDS.has(obj.kind)) {
    const decision = d.replicas.byKey.get(b.info.key);
    if (decision?.blocked) return { blocked: { ref: b.ref, finding: decision.blocked } };
    const replicas = ownValue(decision?.plan, cluster.name) ?? 0;
    obj = { ...obj, spec: { ...(obj.spec as Record<string, unknown>), replicas } };
  }
  if (b.overrides.length === 0) return { object: obj };
  const mine = b.overrides.filter((o) => overrideTargets.get(o)!.has(cluster.name));
  if (mine.length === 0) return { object: obj };
  const out = applyOverrides(obj, cluster, mine);
  if (out.error) return { blocked: { ref: b.ref, finding: out.error } };
  return { object: out.object! };
}

function renderCluster(cluster: ClusterSpec, bases: BaseObject[], fleet: Fleet, observations: Observations, d: Decisions, findings: Finding[], overrideTargets: Map<Override, Set<string>>): ClusterRender {
  const objects: KubeObject[] = [];
  const blocked: BlockedObject[] = [];
  const definedNamespaces = new Set<string>();
  const usedNamespaces = new Set<string>();
  let overridden = false;
  for (const b of bases) {
    if (!b.targets.has(cluster.name)) continue;
    const rendered = renderObject(b, cluster, d, overrideTargets);
    if ('blocked' in rendered) {
      blocked.push(rendered.blocked);
      if (rendered.blocked.finding.code === 'OverrideFailed') findings.push(rendered.blocked.finding);
      continue;
    }
    const r = rendered.object;
    if (r !== b.object && b.overrides.length > 0) overridden = true;
    objects.push(r);
    if (r.kind === 'Namespace') definedNamespaces.add(r.metadata.name);
    if (r.metadata.namespace) usedNamespaces.add(r.metadata.namespace);
  }
  // Like Argo CD's CreateNamespace: a namespace the manifests use but do not
  // define is created, and never pruned (it may hold objects gitfed does not own).
  const extras: KubeObject[] = [];
  for (const ns of usedNamespaces) {
    if (definedNamespaces.has(ns) || BUILTIN_NAMESPACES.has(ns)) continue;
    extras.push(own({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, fleet.settings.name, undefined, true));
  }
  const cm = ownValue(d.uid.configMaps, cluster.name);
  if (cm) extras.push(own(structuredClone(cm), fleet.settings.name, undefined, true));
  const uidGap = ownValue(d.uid.blocked, cluster.name);
  if (uidGap?.code === 'ObservationFailed') blocked.push({ ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: INGRESS_UID_NAMESPACE, name: INGRESS_UID_NAME }, finding: uidGap });
  // Manifests arrive in apply order already (sorted once for all clusters);
  // only the few generated objects need merging in. Overrides cannot change
  // kind, name or namespace (validation refuses it, applyOverrides checks again).
  if (overridden) objects.sort(compareForApply);
  const all = insertSorted(objects, extras);
  const render: ClusterRender = { cluster: cluster.name, objects: all, blocked };
  if (cluster.paused) render.skipped = 'paused';
  else if (!isReady(observations, cluster.name)) render.skipped = 'unreachable';
  return render;
}

/** Insert a few objects into an apply-ordered list (binary search, no full re-sort). */
function insertSorted(sorted: KubeObject[], extras: KubeObject[]): KubeObject[] {
  for (const x of extras) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareForApply(sorted[mid]!, x) <= 0) lo = mid + 1;
      else hi = mid;
    }
    sorted.splice(lo, 0, x);
  }
  return sorted;
}

export function render(input: RenderInput): RenderResult {
  const { fleet, observations, allocations } = input;
  const index = indexFleet(fleet);
  const findings: Finding[] = [...(input.loadFindings ?? []), ...validateFleet(fleet, index, input.allowHealthCheckDivergence ? { allowHealthCheckDivergence: true } : {})];
  if (hasErrors(findings)) return { clusters: [], allocations, replicas: [], findings };

  const d = decide(fleet, index, observations, allocations);
  findings.push(...d.ports.findings, ...d.ports.failed.values(), ...d.uid.findings, ...Object.values(d.uid.blocked), ...Object.values(d.portGaps), ...d.replicas.findings);
  const bases = index.manifests.map((m) => renderBase(m, fleet, d)).sort((a, b) => compareForApply(a.object, b.object));
  const overrideTargets = new Map(fleet.overrides.map((o) => [o, new Set(selectClusters(o.clusters, fleet.clusters).map((c) => c.name))]));
  const clusters = fleet.clusters.map((c) => renderCluster(c, bases, fleet, observations, d, findings, overrideTargets));

  const nodePorts: Allocations['nodePorts'] = {};
  for (const key of [...index.ingressBackends.keys()].sort()) {
    const ports = ownValue(d.ports.ports, key) ?? (d.ports.failed.has(key) ? ownValue(allocations.nodePorts, key) : undefined);
    if (ports) nodePorts[key] = ports;
  }
  return {
    clusters,
    allocations: { nodePorts, glbc: { uid: d.uid.uid, providerUids: d.uid.providerUids } },
    replicas: d.replicas.decisions,
    findings,
  };
}
