// Facts derived once from a loaded fleet and shared by validation and render:
// which clusters each manifest goes to, which Services back federated
// Ingresses, and each workload's replica preferences.
import { clusterSelectorAnnotation, parseClusterSelectorAnnotation, parseReplicaPreferences, preferencesAnnotation } from './federation-annotations.js';
import { ingressBackends, ingressClassOf, isGceClass, type IngressBackend } from './ingress.js';
import { effectiveNamespace, keyOf, refOf } from './object-keys.js';
import { DEFAULT_PREFERENCES } from './replica-planner.js';
import { selectClusters, selectsResource } from './selectors.js';
import type { ClusterSpec, Fleet, Placement, ReplicaPreferences, SourcedObject } from './model.js';

export const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet']);

export interface ManifestInfo {
  source: SourcedObject;
  key: string;
  placement?: Placement;
  /** Placements beyond the first that also select this object (a config error). */
  extraPlacements: Placement[];
  clusters: ClusterSpec[];
  /** Workloads only. */
  preferences?: ReplicaPreferences;
}

export interface BackendUse {
  ingress: SourcedObject;
  backend: IngressBackend;
}

export interface FleetIndex {
  manifests: ManifestInfo[];
  byKey: Map<string, ManifestInfo>;
  /** "namespace/name" of a Service -> GCE Ingresses that route to it. */
  ingressBackends: Map<string, BackendUse[]>;
  /** "namespace/name" -> the Service manifest */
  services: Map<string, ManifestInfo>;
}

function targetClusters(fleet: Fleet, src: SourcedObject, placement: Placement | undefined): ClusterSpec[] {
  let clusters = placement ? selectClusters(placement.clusters, fleet.clusters) : [...fleet.clusters];
  const selector = clusterSelectorAnnotation(src.object);
  if (selector !== undefined) {
    const reqs = parseClusterSelectorAnnotation(selector);
    // A malformed selector is a validation error; render never runs then.
    if (typeof reqs !== 'string') clusters = selectClusters({ matchExpressions: reqs }, clusters);
  }
  return clusters;
}

function workloadPreferences(src: SourcedObject, placement: Placement | undefined): ReplicaPreferences {
  if (placement?.replicas) return placement.replicas;
  const ann = preferencesAnnotation(src.object);
  if (ann) {
    const parsed = parseReplicaPreferences(ann.value);
    if (typeof parsed !== 'string') return parsed;
  }
  return DEFAULT_PREFERENCES;
}

export function indexFleet(fleet: Fleet): FleetIndex {
  const manifests: ManifestInfo[] = [];
  const byKey = new Map<string, ManifestInfo>();
  const services = new Map<string, ManifestInfo>();
  const backends = new Map<string, BackendUse[]>();
  for (const source of fleet.manifests) {
    const obj = source.object;
    const [placement, ...extraPlacements] = fleet.placements.filter((p) => selectsResource(p.resources, obj));
    const info: ManifestInfo = {
      source,
      key: keyOf(refOf(obj)),
      ...(placement ? { placement } : {}),
      extraPlacements,
      clusters: targetClusters(fleet, source, placement),
    };
    if (WORKLOAD_KINDS.has(obj.kind)) info.preferences = workloadPreferences(source, placement);
    manifests.push(info);
    byKey.set(info.key, info);
    if (obj.kind === 'Service') services.set(`${effectiveNamespace(obj)}/${obj.metadata.name}`, info);
    if (obj.kind === 'Ingress' && isGceClass(ingressClassOf(obj))) {
      for (const backend of ingressBackends(obj)) {
        const k = `${effectiveNamespace(obj)}/${backend.service}`;
        const list = backends.get(k) ?? [];
        list.push({ ingress: source, backend });
        backends.set(k, list);
      }
    }
  }
  return { manifests, byKey, ingressBackends: backends, services };
}
