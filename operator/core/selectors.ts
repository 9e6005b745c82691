// Matching federated objects and clusters against policy selectors.
import { effectiveNamespace } from './object-keys.js';
import type { ClusterSelector, ClusterSpec, KubeObject, ResourceSelector, SelectorRequirement } from './model.js';

function labelsMatch(want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

/** A resource selector with neither list nor labels selects nothing (explicit is safer). */
export function selectsResource(sel: ResourceSelector, obj: KubeObject): boolean {
  if (sel.resources?.length) {
    const ns = effectiveNamespace(obj);
    const hit = sel.resources.some((r) =>
      r.kind === obj.kind && r.name === obj.metadata.name && (r.namespace === undefined || r.namespace === ns));
    if (hit) return true;
  }
  if (sel.matchLabels && Object.keys(sel.matchLabels).length > 0) {
    return labelsMatch(sel.matchLabels, obj.metadata.labels);
  }
  return false;
}

export function requirementMatches(req: SelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return has && values.includes(value!);
    case 'NotIn': return !has || !values.includes(value!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': return has && Number(value) > Number(values[0]);
    case 'Lt': return has && Number(value) < Number(values[0]);
  }
}

/** Clusters a selector picks, in fleet order. No names/labels/expressions = every cluster. */
export function selectClusters(sel: ClusterSelector | undefined, clusters: readonly ClusterSpec[]): ClusterSpec[] {
  if (!sel) return [...clusters];
  return clusters.filter((c) => {
    if (sel.names && !sel.names.includes(c.name)) return false;
    if (!labelsMatch(sel.matchLabels, c.labels)) return false;
    return (sel.matchExpressions ?? []).every((r) => requirementMatches(r, c.labels));
  });
}
