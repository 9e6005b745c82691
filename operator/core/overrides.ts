// Per-cluster Overrides (RFC 6902 patches), and the fields they may not touch:
// the values gitfed must keep identical across clusters (a federated
// Service's nodePort, the static-IP annotation, the GLBC uid ConfigMap) or
// that the planner owns (a workload's replicas).
import { applyJsonPatch, parsePointer } from './json-patch.js';
import { INGRESS_UID_NAME, INGRESS_UID_NAMESPACE, MANAGED_BY_LABEL, STATIC_IP_ANNOTATION } from './labels.js';
import { objectName, dns1123Label } from './names.js';
import type { Finding, JsonPatchOp, KubeObject, Override } from './model.js';
import type { ClusterSpec } from './model.js';

export interface EnforcedContext {
  /** The Service backs a federated GCE Ingress: its nodePorts are shared. */
  isIngressBackend: boolean;
  /** A Deployment/ReplicaSet whose replicas the planner decides. */
  isWorkload: boolean;
  /** A workload whose Pods serve a federated GCE Ingress (a backend Service selects them). */
  servesIngress?: boolean;
}

/** JSON-pointer patterns ("*" = any one token) of fields an Override may not change. */
export function enforcedPatterns(obj: KubeObject, ctx: EnforcedContext): { pattern: string[]; why: string }[] {
  if (obj.kind === 'ConfigMap' && obj.metadata.name === INGRESS_UID_NAME && obj.metadata.namespace === INGRESS_UID_NAMESPACE) {
    return [{ pattern: [], why: 'gitfed owns the GLBC uid ConfigMap (one uid across clusters)' }];
  }
  const out: { pattern: string[]; why: string }[] = [];
  if (obj.kind === 'Service' && ctx.isIngressBackend) {
    out.push({ pattern: ['spec', 'ports', '*', 'nodePort'], why: 'the nodePort of a Service behind a federated Ingress must be the same in every cluster (GLBC names its backend after it)' });
  }
  if (obj.kind === 'Ingress') {
    out.push({ pattern: ['metadata', 'annotations', STATIC_IP_ANNOTATION], why: 'the static-IP annotation must be identical in every cluster (one global IP)' });
  }
  if (ctx.servesIngress) {
    // GLBC takes the health check's path from the serving Pods' readiness probe, and the health check (k8s-be-<nodePort>--<uid>) is shared.
    out.push({ pattern: ['spec', 'template', 'spec', 'containers', '*', 'readinessProbe'], why: 'the Pods serve a federated Ingress: GLBC builds the ONE shared health check from their readiness probe, so a probe (path, port) that differs between clusters makes their GLBCs overwrite each other\'s health check' });
  }
  if (ctx.isWorkload) {
    out.push({ pattern: ['spec', 'replicas'], why: 'replicas are split by the Placement\'s spec.replicas preferences; change weights/min/max there instead' });
  }
  return out;
}

/** A field an Override may not change; keysOnly: a patch of its parent (e.g. all annotations) is allowed. */
interface Protected {
  pattern: string[];
  why: string;
  keysOnly?: boolean;
}

/**
 * What makes an object the object it is, and what makes it gitfed's: an
 * Override that changed these could rename a ConfigMap into
 * kube-system/ingress-uid, move it out of its namespace, or hand it to another
 * fleet (so prune deletes it). Refused for every object.
 */
const IDENTITY_PATTERNS: Protected[] = [
  { pattern: ['apiVersion'], why: 'an Override may not change apiVersion (it would be a different object)' },
  { pattern: ['kind'], why: 'an Override may not change kind (it would be a different object)' },
  { pattern: ['metadata', 'name'], why: 'an Override may not rename an object (it is the same object in every cluster)' },
  { pattern: ['metadata', 'namespace'], why: 'an Override may not move an object to another namespace (it is the same object in every cluster)' },
  { pattern: ['metadata', 'labels', MANAGED_BY_LABEL], why: `the ${MANAGED_BY_LABEL} label is gitfed's ownership mark` },
  { pattern: ['metadata', 'labels', 'gitfed.io/*'], why: 'gitfed.io/ labels are gitfed\'s ownership marks' },
  // Only the keys themselves: replacing all annotations is a normal Override
  // (the source annotation is informational; ownership lives in the labels).
  { pattern: ['metadata', 'annotations', 'gitfed.io/*'], why: 'gitfed.io/ annotations are gitfed\'s own', keysOnly: true },
];

/** "*" matches any one token; "prefix/*" matches tokens that start with "prefix/". */
function tokenMatches(pattern: string, token: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return token.startsWith(pattern.slice(0, -1));
  return pattern === token;
}

function overlaps(path: string[], pattern: string[]): boolean {
  const n = Math.min(path.length, pattern.length);
  for (let i = 0; i < n; i++) if (!tokenMatches(pattern[i]!, path[i]!)) return false;
  return true; // one is a prefix of the other: the op replaces or edits the enforced field
}

function violation(op: JsonPatchOp, patterns: readonly Protected[]): string | undefined {
  if (op.op === 'test') return undefined;
  const paths = [op.path, ...(op.op === 'move' && op.from !== undefined ? [op.from] : [])];
  for (const p of paths) {
    const tokens = parsePointer(p);
    if (!tokens) continue;
    const hit = patterns.find((e) => overlaps(tokens, e.pattern) && (!e.keysOnly || tokens.length >= e.pattern.length));
    if (hit) return hit.why;
  }
  return undefined;
}

/** Why an op may not run on any object (identity or ownership fields), if so. */
export function identityViolation(op: JsonPatchOp): string | undefined {
  return violation(op, IDENTITY_PATTERNS);
}

/** The first enforced field an op would change, if any. */
export function enforcedViolation(op: JsonPatchOp, obj: KubeObject, ctx: EnforcedContext): string | undefined {
  return violation(op, enforcedPatterns(obj, ctx));
}

export interface OverrideOutcome {
  object?: KubeObject;
  error?: Finding;
}

/** Apply the Overrides that target this object in this cluster (already selected), in fleet order. */
export function applyOverrides(obj: KubeObject, cluster: ClusterSpec, overrides: readonly Override[]): OverrideOutcome {
  let current: KubeObject = obj;
  for (const o of overrides) {
    const r = applyJsonPatch(current, o.patches);
    if (!r.ok) {
      const op = o.patches[r.index];
      return {
        error: {
          severity: 'error', code: 'OverrideFailed', cluster: cluster.name, place: op?.place ?? o.place,
          message: `Override ${o.name} on ${obj.kind} ${obj.metadata.name} in cluster ${cluster.name}: ${r.message}`,
        },
      };
    }
    current = r.doc as KubeObject;
  }
  const changed = identityChange(obj, current);
  if (changed) {
    return { error: { severity: 'error', code: 'OverrideFailed', cluster: cluster.name, place: overrides[0]!.place, message: `Overrides on ${obj.kind} ${obj.metadata.name} in cluster ${cluster.name}: ${changed}` } };
  }
  return { object: current };
}

/**
 * Checked again after the patches ran (validation refuses these paths, but
 * output paths and ownership must never depend on one check alone).
 */
function identityChange(before: KubeObject, after: KubeObject): string | undefined {
  const meta = (after as { metadata?: unknown }).metadata as KubeObject['metadata'] | undefined;
  if (after.apiVersion !== before.apiVersion || after.kind !== before.kind || !meta || meta.name !== before.metadata.name || meta.namespace !== before.metadata.namespace) {
    return 'the result changes apiVersion, kind, name or namespace, which Overrides may not do';
  }
  const bad = objectName(after.kind, meta.name) ?? (meta.namespace !== undefined ? dns1123Label(meta.namespace) : undefined);
  if (bad) return `the result has an invalid name: ${bad}`;
  for (const [k, v] of Object.entries(before.metadata.labels ?? {})) {
    if ((k === MANAGED_BY_LABEL || k.startsWith('gitfed.io/')) && meta.labels?.[k] !== v) return `the result changes gitfed's label ${k}`;
  }
  return undefined;
}
