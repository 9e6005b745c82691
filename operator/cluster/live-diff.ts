// One place that compares a rendered object with its live twin: list-key
// defaults filled in, fields gitfed owned before included, memoised per
// (desired, live) pair so drift detection and apply never diff twice.
import { diffObject, ownedMapPaths, type FieldDiff, type ManagedFieldsEntry } from '../core/diff.js';
import { FIELD_MANAGER } from '../core/labels.js';
import type { KubeObject } from '../core/model.js';
import { withListKeyDefaults } from '../core/ssa-defaults.js';

const defaulted = new WeakMap<KubeObject, KubeObject>();
const diffs = new WeakMap<KubeObject, { desired: KubeObject; diff: FieldDiff[] }>();
const owned = new WeakMap<KubeObject, ReturnType<typeof ownedMapPaths>>();

/** The object as gitfed sends it (rendered objects are never mutated, so this is cached). */
export function toApply(desired: KubeObject): KubeObject {
  let d = defaulted.get(desired);
  if (!d) {
    d = withListKeyDefaults(desired);
    defaulted.set(desired, d);
  }
  return d;
}

export function liveDiff(desired: KubeObject, live: KubeObject): FieldDiff[] {
  const hit = diffs.get(live);
  if (hit && hit.desired === desired) return hit.diff;
  let paths = owned.get(live);
  if (!paths) {
    paths = ownedMapPaths((live.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields, FIELD_MANAGER);
    owned.set(live, paths);
  }
  const diff = diffObject(toApply(desired) as Record<string, unknown>, live as Record<string, unknown>, paths);
  diffs.set(live, { desired, diff });
  return diff;
}
