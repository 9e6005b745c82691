// Per-cluster Overrides (RFC 6902 patches), and the fields they may not touch:
// the values gitfed must keep identical across clusters (a federated
// Service's nodePort, the static-IP annotation, the GLBC uid ConfigMap) or
// that the planner owns (a workload's replicas).
import { applyJsonPatch, parsePointer } from './json-patch.js';
import { INGRESS_UID_NAME, INGRESS_UID_NAMESPACE, STATIC_IP_ANNOTATION } from './labels.js';
import type { Finding, JsonPatchOp, KubeObject, Override } from './model.js';
import type { ClusterSpec } from './model.js';

export interface EnforcedContext {
  /** The Service backs a federated GCE Ingress: its nodePorts are shared. */
  isIngressBackend: boolean;
  /** A Deployment/ReplicaSet whose replicas the planner decides. */
  isWorkload: boolean;
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
  if (ctx.isWorkload) {
    out.push({ pattern: ['spec', 'replicas'], why: 'replicas are split by the Placement\'s spec.replicas preferences; change weights/min/max there instead' });
  }
  return out;
}

function overlaps(path: string[], pattern: string[]): boolean {
  const n = Math.min(path.length, pattern.length);
  for (let i = 0; i < n; i++) if (pattern[i] !== '*' && pattern[i] !== path[i]) return false;
  return true; // one is a prefix of the other: the op replaces or edits the enforced field
}

/** The first enforced field an op would change, if any. */
export function enforcedViolation(op: JsonPatchOp, obj: KubeObject, ctx: EnforcedContext): string | undefined {
  if (op.op === 'test') return undefined;
  const paths = [op.path, ...(op.op === 'move' && op.from !== undefined ? [op.from] : [])];
  for (const p of paths) {
    const tokens = parsePointer(p);
    if (!tokens) continue;
    const hit = enforcedPatterns(obj, ctx).find((e) => overlaps(tokens, e.pattern));
    if (hit) return hit.why;
  }
  return undefined;
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
  return { object: current };
}
