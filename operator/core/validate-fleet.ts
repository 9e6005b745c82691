// Rules that span several objects of a loaded fleet (the loader checks each
// file on its own). Pure; every finding points at the line to fix.
import { ingressClassOf, isGceClass, servicePorts, serviceType } from './ingress.js';
import { type FleetIndex, WORKLOAD_KINDS } from './fleet-index.js';
import { INGRESS_UID_NAME, INGRESS_UID_NAMESPACE, STATIC_IP_ANNOTATION } from './labels.js';
import type { ClusterSelector, ClusterSpec, Finding, Fleet, KubeObject, PortRange, SourcePos, SourcedObject } from './model.js';
import { DEFAULT_NODE_PORT_RANGE } from './node-ports.js';
import { describeRef, effectiveNamespace, refOf } from './object-keys.js';
import { enforcedViolation, identityViolation } from './overrides.js';
import { checkCrdScopes } from './crd-scopes.js';
import { checkResourceRules } from './resource-rules.js';
import { selectsResource } from './selectors.js';

const at = (src: SourcedObject, path: (string | number)[]): SourcePos => src.locate?.(path) ?? src.place;
const fmt = (p: SourcePos) => `${p.file}:${p.line}`;

function checkClusters(fleet: Fleet, out: Finding[]): void {
  const zones = new Map<string, string>();
  const contexts = new Map<string, ClusterSpec>();
  for (const c of fleet.clusters) {
    // Two Clusters on one context are one real cluster written to twice: both
    // replica shares land on one Deployment, and it gets two provider-uids.
    const same = contexts.get(c.context);
    if (same) {
      out.push({
        severity: 'error', code: 'SameContextClusters', place: c.contextAt ?? c.place,
        message: `clusters ${same.name} (${fmt(same.contextAt ?? same.place)}) and ${c.name} both use kubeconfig context ${c.context}, so they are one cluster: remove one, or point spec.context at the cluster it means`,
      });
    } else contexts.set(c.context, c);
    if (c.provider !== 'gce' || !c.gce?.project || !c.gce.zone) continue;
    const k = `${c.gce.project}/${c.gce.zone}`;
    const first = zones.get(k);
    if (first) {
      out.push({
        severity: 'error', code: 'SameZoneClusters', place: c.place,
        message: `clusters ${first} and ${c.name} are both in GCE project ${c.gce.project} zone ${c.gce.zone}: with one GLBC uid they would share instance group k8s-ig--<uid> and remove each other's nodes (kubernetes#47565); put them in different zones or projects`,
      });
    } else zones.set(k, c.name);
  }
}

function checkClusterNames(fleet: Fleet, out: Finding[]): void {
  const known = new Set(fleet.clusters.map((c) => c.name));
  const check = (sel: ClusterSelector, place: SourcePos, what: string) => {
    for (const [i, n] of (sel.names ?? []).entries()) {
      if (!known.has(n)) {
        out.push({ severity: 'error', code: 'UnknownCluster', place: sel.namesAt?.[i] ?? place, message: `${what} names cluster "${n}", which is not registered under clusters/; known: ${[...known].join(', ') || 'none'}` });
      }
    }
  };
  for (const p of fleet.placements) {
    check(p.clusters, p.place, `Placement ${p.name}`);
    for (const n of Object.keys(p.replicas?.clusters ?? {})) {
      if (n !== '*' && !known.has(n)) out.push({ severity: 'warning', code: 'UnknownCluster', place: p.place, message: `Placement ${p.name} spec.replicas names cluster "${n}", which is not registered; it gets nothing` });
    }
  }
  for (const o of fleet.overrides) check(o.clusters, o.place, `Override ${o.name}`);
  for (const w of fleet.rolloutPolicy?.waves ?? []) check(w.clusters, w.place ?? fleet.rolloutPolicy!.place!, `RolloutPolicy ${fleet.rolloutPolicy!.name} wave ${w.name}`);
}

function inRange(port: number, r: PortRange): boolean {
  return port >= r[0] && port <= r[1];
}

function checkNodePorts(fleet: Fleet, out: Finding[]): void {
  const range = fleet.nodePortPolicy?.range ?? DEFAULT_NODE_PORT_RANGE;
  const reserved = fleet.nodePortPolicy?.reserved ?? [];
  const owners = new Map<number, { svc: string; place: SourcePos }>();
  for (const src of fleet.manifests) {
    if (src.object.kind !== 'Service') continue;
    const svc = describeRef(refOf(src.object));
    for (const p of servicePorts(src.object)) {
      if (p.nodePort === undefined) continue;
      const place = at(src, ['spec', 'ports', p.index, 'nodePort']);
      if (!inRange(p.nodePort, range)) {
        out.push({ severity: 'error', code: 'NodePortOutOfRange', place, message: `${svc}: nodePort ${p.nodePort} is outside the node-port range ${range[0]}-${range[1]}; pick one inside it or remove nodePort to let gitfed choose` });
      } else if (reserved.some((r) => inRange(p.nodePort!, r))) {
        out.push({ severity: 'error', code: 'NodePortReserved', place, message: `${svc}: nodePort ${p.nodePort} is reserved by NodePortPolicy ${fleet.nodePortPolicy?.name}; pick another or remove nodePort to let gitfed choose` });
      }
      const prev = owners.get(p.nodePort);
      if (prev) {
        out.push({ severity: 'error', code: 'NodePortDuplicate', place, message: `${svc}: nodePort ${p.nodePort} is also wanted by ${prev.svc} at ${fmt(prev.place)}; a node port can belong to one Service only` });
      } else owners.set(p.nodePort, { svc, place });
    }
  }
}

function checkIngresses(index: FleetIndex, out: Finding[]): void {
  for (const [svcKey, uses] of index.ingressBackends) {
    const svc = index.services.get(svcKey);
    for (const { ingress, backend } of uses) {
      const ing = describeRef(refOf(ingress.object));
      const place = at(ingress, [...backend.path]);
      if (!svc) {
        out.push({ severity: 'error', code: 'BackendServiceMissing', place, message: `${ing} routes to Service ${svcKey}, which is not in the fleet; add it under manifests/ or fix the name` });
        continue;
      }
      const type = serviceType(svc.source.object);
      if (type !== 'NodePort' && type !== 'LoadBalancer') {
        out.push({ severity: 'error', code: 'BackendServiceType', place: at(svc.source, ['spec', 'type']), message: `Service ${svcKey} backs ${ing} but is of type ${type}; GLBC needs type NodePort (or LoadBalancer): set spec.type: NodePort` });
      }
      if (backend.port !== undefined && !servicePorts(svc.source.object).some((p) => p.port === backend.port || p.name === backend.port)) {
        out.push({ severity: 'error', code: 'BackendPortMissing', place, message: `${ing} routes to port ${backend.port} of Service ${svcKey}, which has no such port` });
      }
    }
  }
  for (const m of index.manifests) {
    const obj = m.source.object;
    if (obj.kind !== 'Ingress' || !isGceClass(ingressClassOf(obj))) continue;
    if (!obj.metadata.annotations?.[STATIC_IP_ANNOTATION]) {
      out.push({ severity: 'warning', code: 'NoStaticIp', place: m.source.place, message: `${describeRef(refOf(obj))} has no ${STATIC_IP_ANNOTATION} annotation: each cluster's GLBC would first get its own ephemeral IP; reserve a global address and name it here` });
    }
  }
}

/** A workload whose Pod labels a Service behind a federated GCE Ingress selects. */
function servesIngress(obj: KubeObject, index: FleetIndex): boolean {
  if (!WORKLOAD_KINDS.has(obj.kind) && obj.kind !== 'StatefulSet') return false;
  const labels = ((obj as { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } }).spec?.template?.metadata?.labels) ?? {};
  const ns = effectiveNamespace(obj);
  return [...index.ingressBackends.keys()].some((k) => {
    const svc = index.services.get(k)?.source.object as { spec?: { selector?: Record<string, string> } } | undefined;
    const sel = svc?.spec?.selector;
    return k.startsWith(`${ns}/`) && !!sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([key, v]) => labels[key] === v);
  });
}

function checkPlacementsAndOverrides(fleet: Fleet, index: FleetIndex, out: Finding[], opts: ValidateOptions): void {
  for (const m of index.manifests) {
    const ref = describeRef(refOf(m.source.object));
    for (const extra of m.extraPlacements) {
      out.push({ severity: 'error', code: 'PlacementConflict', place: extra.place, message: `${ref} is selected by Placement ${m.placement?.name} (${fmt(m.placement!.place)}) and by Placement ${extra.name}; an object may have one Placement` });
    }
    const obj = m.source.object;
    if (obj.kind === 'ConfigMap' && obj.metadata.name === INGRESS_UID_NAME && effectiveNamespace(obj) === INGRESS_UID_NAMESPACE) {
      out.push({ severity: 'error', code: 'EnforcedObject', place: m.source.place, message: `ConfigMap ${INGRESS_UID_NAMESPACE}/${INGRESS_UID_NAME} is written by gitfed (one GLBC uid across clusters); remove it from manifests/` });
    }
  }
  for (const o of fleet.overrides) {
    for (const op of o.patches) {
      const why = identityViolation(op);
      if (why) out.push({ severity: 'error', code: 'OverrideIdentityField', place: op.place, message: `Override ${o.name} would ${op.op} ${op.path}: ${why}` });
    }
    for (const m of index.manifests) {
      const obj = m.source.object;
      if (!selectsResource(o.resources, obj)) continue;
      const ctx = { isIngressBackend: obj.kind === 'Service' && index.ingressBackends.has(`${effectiveNamespace(obj)}/${obj.metadata.name}`), isWorkload: WORKLOAD_KINDS.has(obj.kind), servesIngress: servesIngress(obj, index) };
      for (const op of o.patches) {
        const why = enforcedViolation(op, obj, ctx);
        if (!why) continue;
        // Only the readiness probe behind the shared health check: the rest stays enforced.
        if (opts.allowHealthCheckDivergence && ctx.servesIngress && !enforcedViolation(op, obj, { ...ctx, servesIngress: false })) {
          out.push({ severity: 'warning', code: 'HealthCheckDivergence', place: op.place, message: `Override ${o.name} would ${op.op} ${op.path} of ${describeRef(refOf(obj))}: ${why} (allowed by --allow-health-check-divergence)` });
          continue;
        }
        out.push({ severity: 'error', code: 'OverrideEnforcedField', place: op.place, message: `Override ${o.name} would ${op.op} ${op.path} of ${describeRef(refOf(obj))}, which gitfed enforces: ${why}${ctx.servesIngress && !enforcedViolation(op, obj, { ...ctx, servesIngress: false }) ? '; --allow-health-check-divergence makes this a warning' : ''}` });
      }
    }
  }
}

export interface ValidateOptions {
  /**
   * An Override may change the readiness probe of Pods behind a federated
   * Ingress (a warning, not an error): the operator accepts that the clusters'
   * GLBCs overwrite each other's shared health check.
   */
  allowHealthCheckDivergence?: boolean;
}

/** Cross-object rules. Errors here mean nothing is rendered. */
export function validateFleet(fleet: Fleet, index: FleetIndex, opts: ValidateOptions = {}): Finding[] {
  const out: Finding[] = [];
  checkClusters(fleet, out);
  checkClusterNames(fleet, out);
  checkNodePorts(fleet, out);
  checkIngresses(index, out);
  checkPlacementsAndOverrides(fleet, index, out, opts);
  checkResourceRules(fleet, out);
  checkCrdScopes(fleet.manifests, out);
  return out;
}
