// The render core: fleet + observations + previous allocations -> the exact
// objects every member cluster must hold. Pure and deterministic: `plan`,
// `apply` and the operator loop all call this one function.
import { indexFleet, type FleetIndex, type ManifestInfo, WORKLOAD_KINDS } from './fleet-index.js';
import { allocateGlbcUid, type UidResult } from './glbc-uid.js';
import { ingressClassOf, isGceClass, portKey, servicePorts, serviceType } from './ingress.js';
import { FLEET_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NO_PRUNE_ANNOTATION, SOURCE_ANNOTATION } from './labels.js';
import {
  type Allocations, type BlockedObject, type ClusterRender, type ClusterSpec, type Finding, type Fleet, type KubeObject,
  type Observations, type RenderResult, hasErrors,
} from './model.js';
import { allocateNodePorts, type NodePortResult, type NodePortService } from './node-ports.js';
import { compareForApply, effectiveNamespace, refOf } from './object-keys.js';
import { applyOverrides } from './overrides.js';
import { planWorkloads, type WorkloadPlans } from './render-replicas.js';
import { validateFleet } from './validate-fleet.js';

export interface RenderInput {
  fleet: Fleet;
  observations: Observations;
  allocations: Allocations;
  /** Findings from loading; errors there stop the render just like validation errors. */
  loadFindings?: readonly Finding[];
}

/** Namespaces every cluster has; never rendered or pruned by gitfed. */
const BUILTIN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** A cluster counts for replicas when it is Ready, or when nothing was observed (offline render). */
export function isReady(obs: Observations, cluster: string): boolean {
  const o = obs[cluster];
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
}

function decide(fleet: Fleet, index: FleetIndex, observations: Observations, previous: Allocations): Decisions {
  const npServices: NodePortService[] = [];
  for (const svcKey of index.ingressBackends.keys()) {
    const svc = index.services.get(svcKey);
    if (!svc) continue;
    const type = serviceType(svc.source.object);
    if (type !== 'NodePort' && type !== 'LoadBalancer') continue;
    npServices.push({ source: svc.source, key: svcKey, clusters: svc.clusters.map((c) => c.name) });
  }
  const gce = fleet.clusters.filter((c) => c.provider === 'gce');
  return {
    index,
    ports: allocateNodePorts(npServices, fleet.nodePortPolicy, observations, previous),
    uid: allocateGlbcUid(gce, observations, previous, fleet.settings.name),
    replicas: planWorkloads(index, observations),
  };
}

/** One manifest rendered for one cluster, or the reason it is blocked there. */
function renderObject(m: ManifestInfo, cluster: ClusterSpec, fleet: Fleet, d: Decisions): { object: KubeObject } | { blocked: BlockedObject } {
  const obj = structuredClone(m.source.object);
  const ref = refOf(obj);
  const ns = effectiveNamespace(obj);
  if (ns !== undefined) obj.metadata.namespace = ns;
  if (obj.kind === 'Service') {
    const svcKey = `${ns}/${obj.metadata.name}`;
    const failed = d.ports.failed.get(svcKey);
    if (failed) return { blocked: { ref, finding: failed } };
    const ports = d.ports.ports[svcKey];
    if (ports) {
      const list = (obj.spec as { ports: Record<string, unknown>[] }).ports;
      for (const p of servicePorts(m.source.object)) list[p.index]!.nodePort = ports[portKey(p)];
    }
  }
  if (WORKLOAD_KINDS.has(obj.kind)) {
    (obj.spec as Record<string, unknown>).replicas = d.replicas.byKey.get(m.key)?.plan[cluster.name] ?? 0;
  }
  if (obj.kind === 'Ingress' && isGceClass(ingressClassOf(obj)) && d.uid.blocked[cluster.name]) {
    return { blocked: { ref, finding: d.uid.blocked[cluster.name]! } };
  }
  const out = applyOverrides(obj, cluster, fleet.overrides, fleet.clusters);
  if (out.error) return { blocked: { ref, finding: out.error } };
  return { object: own(out.object!, fleet.settings.name, m.source.place.file) };
}

function renderCluster(cluster: ClusterSpec, fleet: Fleet, observations: Observations, d: Decisions, findings: Finding[]): ClusterRender {
  const objects: KubeObject[] = [];
  const blocked: BlockedObject[] = [];
  const definedNamespaces = new Set<string>();
  const usedNamespaces = new Set<string>();
  for (const m of d.index.manifests) {
    if (!m.clusters.some((c) => c.name === cluster.name)) continue;
    const rendered = renderObject(m, cluster, fleet, d);
    if ('blocked' in rendered) {
      blocked.push(rendered.blocked);
      if (rendered.blocked.finding.code === 'OverrideFailed') findings.push(rendered.blocked.finding);
      continue;
    }
    const r = rendered.object;
    objects.push(r);
    if (r.kind === 'Namespace') definedNamespaces.add(r.metadata.name);
    if (r.metadata.namespace) usedNamespaces.add(r.metadata.namespace);
  }
  // Like Argo CD's CreateNamespace: a namespace the manifests use but do not
  // define is created, and never pruned (it may hold objects gitfed does not own).
  for (const ns of usedNamespaces) {
    if (definedNamespaces.has(ns) || BUILTIN_NAMESPACES.has(ns)) continue;
    objects.push(own({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, fleet.settings.name, undefined, true));
  }
  const cm = d.uid.configMaps[cluster.name];
  if (cm) objects.push(own(structuredClone(cm), fleet.settings.name, undefined, true));
  objects.sort(compareForApply);
  const render: ClusterRender = { cluster: cluster.name, objects, blocked };
  if (cluster.paused) render.skipped = 'paused';
  else if (!isReady(observations, cluster.name)) render.skipped = 'unreachable';
  return render;
}

export function render(input: RenderInput): RenderResult {
  const { fleet, observations, allocations } = input;
  const index = indexFleet(fleet);
  const findings: Finding[] = [...(input.loadFindings ?? []), ...validateFleet(fleet, index)];
  if (hasErrors(findings)) return { clusters: [], allocations, replicas: [], findings };

  const d = decide(fleet, index, observations, allocations);
  findings.push(...d.ports.findings, ...d.ports.failed.values(), ...d.uid.findings, ...Object.values(d.uid.blocked), ...d.replicas.findings);
  const clusters = fleet.clusters.map((c) => renderCluster(c, fleet, observations, d, findings));

  const nodePorts: Allocations['nodePorts'] = {};
  for (const key of [...index.ingressBackends.keys()].sort()) {
    const ports = d.ports.ports[key] ?? (d.ports.failed.has(key) ? allocations.nodePorts[key] : undefined);
    if (ports) nodePorts[key] = ports;
  }
  return {
    clusters,
    allocations: { nodePorts, glbc: { uid: d.uid.uid, providerUids: d.uid.providerUids } },
    replicas: d.replicas.decisions,
    findings,
  };
}
