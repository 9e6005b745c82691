// Federation v1's annotations, still accepted on manifests:
// replica-set/deployment preferences and the cluster selector. Pure parsers
// returning a value or an error message (the caller knows the position).
import { CLUSTER_SELECTOR_ANNOTATION, DEPLOYMENT_PREFERENCES_ANNOTATION, RS_PREFERENCES_ANNOTATION } from './labels.js';
import type { ClusterReplicaPreference, KubeObject, ReplicaPreferences, SelectorRequirement } from './model.js';
import { dns1123Label } from './names.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Weights are relative (2 and 1 split like 2000 and 1000), so a bound costs
 * nothing; without one, 1e308 overflowed the planner's arithmetic into NaN.
 */
export const MAX_WEIGHT = 1_000_000;

/** Parse `{"rebalance": bool, "clusters": {"<name>|*": {weight, minReplicas, maxReplicas}}}`. */
export function parseReplicaPreferences(json: string): ReplicaPreferences | string {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return `preferences are not valid JSON (${(e as Error).message}); expected {"rebalance": false, "clusters": {"*": {"weight": 1}}}`;
  }
  return normalizeReplicaPreferences(raw);
}

/** Validate and normalise the preferences shape (from JSON or from a Placement's spec.replicas). */
export function normalizeReplicaPreferences(raw: unknown): ReplicaPreferences | string {
  if (!isObj(raw)) return 'preferences must be an object with "clusters"';
  if (raw.rebalance !== undefined && typeof raw.rebalance !== 'boolean') return '"rebalance" must be true or false';
  if (!isObj(raw.clusters)) return '"clusters" must map cluster names (or "*") to {weight, minReplicas, maxReplicas}';
  const clusters: Record<string, ClusterReplicaPreference> = {};
  for (const [name, pref] of Object.entries(raw.clusters)) {
    // A key no cluster can have never matches; "__proto__" would even replace
    // the map's prototype instead of becoming a key (see own-value.ts).
    if (name !== '*' && dns1123Label(name)) return `clusters: "${name}" is not a cluster name (a DNS-1123 label) or "*"`;
    if (!isObj(pref)) return `clusters.${name} must be an object like {"weight": 1}`;
    const { weight = 0, minReplicas = 0, maxReplicas = null } = pref;
    if (!isCount(weight) || weight < 0) return `clusters.${name}.weight must be a whole number >= 0, got ${JSON.stringify(weight)}`;
    if (weight > MAX_WEIGHT) return `clusters.${name}.weight must be at most ${MAX_WEIGHT} (weights are relative: 2 and 1 split like 2000 and 1000), got ${JSON.stringify(weight)}`;
    if (!isCount(minReplicas) || minReplicas < 0) return `clusters.${name}.minReplicas must be a whole number >= 0, got ${JSON.stringify(minReplicas)}`;
    if (maxReplicas !== null && (!isCount(maxReplicas) || maxReplicas < 0)) return `clusters.${name}.maxReplicas must be a whole number >= 0 or null, got ${JSON.stringify(maxReplicas)}`;
    if (maxReplicas !== null && minReplicas > maxReplicas) return `clusters.${name}: minReplicas ${minReplicas} is greater than maxReplicas ${maxReplicas}`;
    clusters[name] = { weight, minReplicas, maxReplicas };
  }
  return { rebalance: raw.rebalance === true, clusters };
}

// A Map, not an object literal: "constructor" or "__proto__" must be unknown
// operators, not members inherited from Object.prototype.
const OPERATORS = new Map<string, SelectorRequirement['operator']>([
  ['in', 'In'], ['notin', 'NotIn'], ['exists', 'Exists'], ['doesnotexist', 'DoesNotExist'], ['!', 'DoesNotExist'], ['gt', 'Gt'], ['lt', 'Lt'],
]);

/** Parse `[{"key": "...", "operator": "In", "values": ["..."]}]`; operators case-insensitive. */
export function parseClusterSelectorAnnotation(json: string): SelectorRequirement[] | string {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return `cluster selector is not valid JSON (${(e as Error).message}); expected [{"key": "region", "operator": "In", "values": ["us"]}]`;
  }
  if (!Array.isArray(raw)) return 'cluster selector must be a JSON list of {key, operator, values}';
  const out: SelectorRequirement[] = [];
  for (const [i, r] of raw.entries()) {
    if (!isObj(r) || typeof r.key !== 'string' || typeof r.operator !== 'string') return `item ${i} must have string "key" and "operator"`;
    const op = OPERATORS.get(r.operator.toLowerCase());
    if (!op) return `item ${i}: unknown operator "${r.operator}"; use In, NotIn, Exists, DoesNotExist, Gt or Lt`;
    const values = r.values === undefined ? [] : r.values;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) return `item ${i}: "values" must be a list of strings`;
    if ((op === 'In' || op === 'NotIn') && values.length === 0) return `item ${i}: operator ${op} needs at least one value`;
    if ((op === 'Gt' || op === 'Lt') && (values.length !== 1 || Number.isNaN(Number(values[0])))) return `item ${i}: operator ${op} needs exactly one number`;
    out.push({ key: r.key, operator: op, values });
  }
  return out;
}

/** The preferences annotation that applies to this workload kind, if any. */
export function preferencesAnnotation(obj: KubeObject): { key: string; value: string } | undefined {
  const ann = obj.metadata.annotations ?? {};
  const key = obj.kind === 'Deployment' ? DEPLOYMENT_PREFERENCES_ANNOTATION : RS_PREFERENCES_ANNOTATION;
  if (ann[key] !== undefined) return { key, value: ann[key] };
  if (ann[RS_PREFERENCES_ANNOTATION] !== undefined) return { key: RS_PREFERENCES_ANNOTATION, value: ann[RS_PREFERENCES_ANNOTATION] };
  return undefined;
}

export function clusterSelectorAnnotation(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[CLUSTER_SELECTOR_ANNOTATION];
}
