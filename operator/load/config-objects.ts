// gitfed.io/v1alpha1 kinds -> the typed fleet model, each field checked
// where it is written.
import { normalizeReplicaPreferences } from '../core/federation-annotations.js';
import { forbiddenKeyIn } from '../core/json-patch.js';
import type {
  ClusterSelector, ClusterSpec, DriftPolicy, FleetSettings, JsonPatchOp, NodePortPolicy, Override, Placement, PortRange,
  ResourceMatch, ResourceRule, ResourceRules, ResourceSelector, SelectorRequirement,
} from '../core/model.js';
import { FieldReader, isObj } from './field-reader.js';
import { dns1123Label } from './names.js';

export const CONFIG_KINDS = ['Cluster', 'NodePortPolicy', 'Placement', 'Override', 'DriftPolicy', 'Fleet', 'RolloutPolicy'] as const;

/** "30000-32767" or 30080 -> [lo, hi]; undefined + finding when malformed. */
function portRange(r: FieldReader, path: (string | number)[], value: unknown, allowSingle: boolean): PortRange | undefined {
  const bad = (why: string) => { r.error(path, 'BadPortRange', `${path.join('.')} ${why}`); return undefined; };
  if (typeof value === 'number' && allowSingle) {
    return Number.isInteger(value) && value >= 1 && value <= 65535 ? [value, value] : bad(`must be a port 1-65535, got ${value}`);
  }
  if (typeof value !== 'string') return bad(`must be a range like "30000-32767"${allowSingle ? ' or a port number' : ''}, got ${JSON.stringify(value)}`);
  // A quoted single port ("30080") is as natural to write as 30080.
  if (allowSingle && /^\s*\d+\s*$/.test(value)) return portRange(r, path, Number(value), true);
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
  if (!m) return bad(`must look like "30000-32767", got "${value}"`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1 || hi > 65535 || lo > hi) return bad(`"${value}" is not a range of ports with 1 <= low <= high <= 65535`);
  return [lo, hi];
}

function resourceSelector(r: FieldReader, path: (string | number)[], spec: Record<string, unknown>): ResourceSelector {
  const sel: ResourceSelector = {};
  const list = r.list([...path, 'resources']);
  if (list) {
    const resources: ResourceMatch[] = [];
    list.forEach((item, i) => {
      const p = [...path, 'resources', i];
      if (!isObj(item) || typeof item.kind !== 'string' || typeof item.name !== 'string') {
        r.error(p, 'BadResource', `${p.join('.')} must be {kind, name, namespace?}`);
        return;
      }
      if (item.namespace !== undefined && typeof item.namespace !== 'string') r.error([...p, 'namespace'], 'WrongType', 'namespace must be a string');
      resources.push({ kind: item.kind, name: item.name, ...(typeof item.namespace === 'string' ? { namespace: item.namespace } : {}) });
    });
    sel.resources = resources;
  }
  const labels = r.stringMap([...path, 'selector', 'matchLabels']);
  if (labels) sel.matchLabels = labels;
  if (!list && !labels && spec.resources === undefined && spec.selector === undefined) {
    r.error(path, 'NoResources', 'spec.resources or spec.selector.matchLabels is required (which objects does this apply to?)');
  }
  return sel;
}

const OPS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

export function clusterSelector(r: FieldReader, path: (string | number)[]): ClusterSelector {
  const sel: ClusterSelector = {};
  const names = r.list([...path, 'names']);
  if (names) {
    if (!names.every((n) => typeof n === 'string')) r.error([...path, 'names'], 'WrongType', 'clusters.names must be a list of cluster names');
    else {
      sel.names = names as string[];
      sel.namesAt = names.map((_, i) => r.at([...path, 'names', i]));
    }
  }
  const labels = r.stringMap([...path, 'matchLabels']);
  if (labels) sel.matchLabels = labels;
  const exprs = r.list([...path, 'matchExpressions']);
  if (exprs) {
    const out: SelectorRequirement[] = [];
    exprs.forEach((e, i) => {
      const p = [...path, 'matchExpressions', i];
      if (!isObj(e) || typeof e.key !== 'string' || typeof e.operator !== 'string' || !OPS.has(e.operator)) {
        r.error(p, 'BadSelector', `${p.join('.')} must be {key, operator: In|NotIn|Exists|DoesNotExist|Gt|Lt, values}`);
        return;
      }
      // A list or mapping among the values is already a WrongType error (the
      // field table); String() of it could throw (`{ toString: 1 }`), so only scalars are kept.
      const values = Array.isArray(e.values) ? e.values.filter((v) => typeof v !== 'object' || v === null).map(String) : [];
      out.push({ key: e.key, operator: e.operator as SelectorRequirement['operator'], values });
    });
    sel.matchExpressions = out;
  }
  return sel;
}

export function parseCluster(r: FieldReader, name: string): ClusterSpec {
  const bad = dns1123Label(name);
  if (bad) r.error(['metadata', 'name'], 'BadName', bad);
  const provider = r.str(['spec', 'provider']) ?? 'gce';
  if (provider !== 'gce' && provider !== 'other') r.error(['spec', 'provider'], 'BadProvider', `spec.provider must be gce or other, got "${provider}"`);
  const project = r.str(['spec', 'gce', 'project']);
  const zone = r.str(['spec', 'gce', 'zone']);
  return {
    name,
    labels: r.stringMap(['metadata', 'labels']) ?? {},
    context: r.str(['spec', 'context']) ?? name,
    ...(r.get(['spec', 'context']) !== undefined ? { contextAt: r.at(['spec', 'context']) } : {}),
    provider: provider === 'other' ? 'other' : 'gce',
    ...(project || zone ? { gce: { ...(project ? { project } : {}), ...(zone ? { zone } : {}) } } : {}),
    paused: r.bool(['spec', 'paused']) ?? false,
    place: r.doc.place,
  };
}

export function parseNodePortPolicy(r: FieldReader, name: string): NodePortPolicy {
  const rawRange = r.get(['spec', 'range']);
  const range = rawRange === undefined ? ([30000, 32767] as PortRange) : portRange(r, ['spec', 'range'], rawRange, false) ?? [30000, 32767];
  const reserved: PortRange[] = [];
  (r.list(['spec', 'reserved']) ?? []).forEach((v, i) => {
    const p = portRange(r, ['spec', 'reserved', i], v, true);
    if (p) reserved.push(p);
  });
  return { name, range, reserved, place: r.doc.place };
}

export function parsePlacement(r: FieldReader, name: string): Placement {
  const spec = r.obj(['spec']) ?? {};
  const p: Placement = { name, resources: resourceSelector(r, ['spec'], spec), clusters: clusterSelector(r, ['spec', 'clusters']), place: r.doc.place };
  const replicas = r.get(['spec', 'replicas']);
  if (replicas !== undefined) {
    const prefs = normalizeReplicaPreferences(replicas);
    if (typeof prefs === 'string') r.error(['spec', 'replicas'], 'BadPreferences', `spec.replicas: ${prefs}`);
    else p.replicas = prefs;
  }
  return p;
}

const PATCH_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function parseOverride(r: FieldReader, name: string): Override {
  const spec = r.obj(['spec']) ?? {};
  const patches: JsonPatchOp[] = [];
  const list = r.list(['spec', 'patches']);
  if (!list) r.error(['spec'], 'NoPatches', 'spec.patches (a list of RFC 6902 operations) is required');
  (list ?? []).forEach((op, i) => {
    const path = ['spec', 'patches', i];
    if (!isObj(op) || typeof op.op !== 'string' || !PATCH_OPS.has(op.op)) {
      r.error(path, 'BadPatch', `patch ${i}: "op" must be one of add, remove, replace, move, copy, test`);
      return;
    }
    if (typeof op.path !== 'string' || (op.path !== '' && !op.path.startsWith('/'))) {
      r.error([...path, 'path'], 'BadPatch', `patch ${i}: "path" must be a JSON pointer like /spec/replicas`);
      return;
    }
    const badKey = forbiddenKeyIn(op.path) ?? (typeof op.from === 'string' ? forbiddenKeyIn(op.from) : undefined);
    if (badKey) {
      r.error([...path, typeof op.from === 'string' && forbiddenKeyIn(op.from) ? 'from' : 'path'], 'BadPatch', `patch ${i}: "${badKey}" may not appear in a path (it names the object's prototype, not a field)`);
      return;
    }
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      r.error(path, 'BadPatch', `patch ${i}: "${op.op}" needs "from"`);
      return;
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      r.error(path, 'BadPatch', `patch ${i}: "${op.op}" needs "value"`);
      return;
    }
    patches.push({ op: op.op as JsonPatchOp['op'], path: op.path, ...(typeof op.from === 'string' ? { from: op.from } : {}), ...('value' in op ? { value: op.value } : {}), place: r.at(path) });
  });
  return { name, resources: resourceSelector(r, ['spec'], spec), clusters: clusterSelector(r, ['spec', 'clusters']), patches, place: r.doc.place };
}

export function parseDriftPolicy(r: FieldReader, name: string): DriftPolicy {
  const mode = r.str(['spec', 'mode']) ?? 'report';
  if (mode !== 'report' && mode !== 'heal') r.error(['spec', 'mode'], 'BadMode', `spec.mode must be report or heal, got "${mode}"`);
  const spec = r.obj(['spec']) ?? {};
  const hasSel = spec.resources !== undefined || spec.selector !== undefined;
  return { name, mode: mode === 'heal' ? 'heal' : 'report', ...(hasSel ? { resources: resourceSelector(r, ['spec'], spec) } : {}), place: r.doc.place };
}

const RULE_FIELDS = ['group', 'kind', 'namespace'] as const;

/** spec.resources.allow / deny: lists of {group?, kind?, namespace?} patterns. */
function resourceRules(r: FieldReader, which: 'allow' | 'deny'): ResourceRule[] | undefined {
  const path = ['spec', 'resources', which];
  const list = r.list(path);
  if (!list) return undefined;
  const rules: ResourceRule[] = [];
  list.forEach((item, i) => {
    const p = [...path, i];
    if (!isObj(item) || Object.keys(item).length === 0) {
      r.error(p, 'BadResourceRule', `${p.join('.')} must be a mapping with group, kind and/or namespace (patterns; "*" matches anything)`);
      return;
    }
    const rule: ResourceRule = { place: r.at(p) };
    for (const [k, v] of Object.entries(item)) {
      if (!(RULE_FIELDS as readonly string[]).includes(k)) { r.error([...p, k], 'BadResourceRule', `${p.join('.')}: unknown field "${k}"; expected ${RULE_FIELDS.join(', ')}`); continue; }
      if (typeof v !== 'string') { r.error([...p, k], 'WrongType', `${[...p, k].join('.')} must be a string pattern, got ${JSON.stringify(v)}`); continue; }
      rule[k as (typeof RULE_FIELDS)[number]] = v;
    }
    rules.push(rule);
  });
  return rules;
}

export function parseFleet(r: FieldReader, name: string): FleetSettings {
  const bad = dns1123Label(name);
  if (bad) r.error(['metadata', 'name'], 'BadName', bad);
  const settings: FleetSettings = { name, allowPruneAll: r.bool(['spec', 'allowPruneAll']) ?? false, place: r.doc.place };
  if (r.obj(['spec', 'resources'])) {
    const resources: ResourceRules = {};
    const allow = resourceRules(r, 'allow');
    const deny = resourceRules(r, 'deny');
    if (allow) resources.allow = allow;
    if (deny) resources.deny = deny;
    settings.resources = resources;
  }
  return settings;
}
