// Fleet files -> Fleet, pure: the same bytes always give the same fleet and
// the same findings. Every finding names file:line:col.
import {
  clusterSelectorAnnotation, parseClusterSelectorAnnotation, parseReplicaPreferences, preferencesAnnotation,
} from '../core/federation-annotations.js';
import { CLUSTER_SELECTOR_ANNOTATION } from '../core/labels.js';
import type { Finding, Fleet, KubeObject, LoadResult, SourcePos } from '../core/model.js';
import { WORKLOAD_KINDS } from '../core/fleet-index.js';
import { effectiveNamespace, groupOf, isClusterScoped } from '../core/object-keys.js';
import {
  CONFIG_KINDS, parseCluster, parseDriftPolicy, parseFleet, parseNodePortPolicy, parseOverride, parsePlacement,
} from './config-objects.js';
import { checkKindFields } from './check-fields.js';
import { FieldReader, isObj } from './field-reader.js';
import { parseRolloutPolicy } from './rollout-policy.js';
import { compareFindings } from './format-finding.js';
import { apiVersionName, dns1123Label, kindName, objectName } from '../core/names.js';
import { decodeUtf8, parseYamlFile, type ParsedDoc } from './parse-yaml.js';
import { locator } from './positions.js';
import { refuseSopsFiles } from './sops-files.js';

export interface FleetFile {
  /** Relative to the fleet root, forward slashes. */
  path: string;
  content: Uint8Array;
}

export interface LoadLimits {
  maxFileBytes: number;
  maxAliasCount: number;
  maxFiles: number;
}

export const DEFAULT_LIMITS: LoadLimits = { maxFileBytes: 4 * 1024 * 1024, maxAliasCount: 100, maxFiles: 20000 };

export const FLEET_DIRS = ['clusters', 'manifests', 'policies'];
const EXTENSIONS = /\.(ya?ml|json)$/i;

export function isFleetFile(path: string): boolean {
  return FLEET_DIRS.some((d) => path.startsWith(`${d}/`)) && EXTENSIONS.test(path);
}

export const CONFIG_API_VERSION = 'gitfed.io/v1alpha1';

export function emptyFleet(): Fleet {
  return { settings: { name: 'default', allowPruneAll: false }, clusters: [], placements: [], overrides: [], driftPolicies: [], manifests: [] };
}

const fmt = (p: SourcePos) => `${p.file}:${p.line}`;

/** The common shape: a mapping with apiVersion, kind, metadata.name. undefined when unusable. */
function checkBasics(r: FieldReader): { apiVersion: string; kind: string; name: string } | undefined {
  if (!isObj(r.doc.value)) {
    r.findings.push({ severity: 'error', code: 'NotAnObject', place: r.doc.place, message: `each YAML document must be a Kubernetes object (a mapping with apiVersion, kind and metadata), got ${Array.isArray(r.doc.value) ? 'a list' : JSON.stringify(r.doc.value)}` });
    return undefined;
  }
  const apiVersion = r.get(['apiVersion']);
  const kind = r.get(['kind']);
  const name = r.get(['metadata', 'name']);
  let ok = true;
  if (typeof apiVersion !== 'string' || !apiVersion) { r.error(['apiVersion'], 'MissingApiVersion', 'apiVersion is missing or not a string (e.g. apiVersion: apps/v1)'); ok = false; }
  if (typeof kind !== 'string' || !kind) { r.error(['kind'], 'MissingKind', 'kind is missing or not a string (e.g. kind: Deployment)'); ok = false; }
  if (!isObj(r.get(['metadata']))) { r.error(['metadata'], 'MissingMetadata', 'metadata is missing (it needs at least a name)'); return undefined; }
  if (typeof name !== 'string' || !name) { r.error(['metadata', 'name'], 'MissingName', 'metadata.name is missing or not a string'); ok = false; }
  // kind and apiVersion become parts of URLs and of file names (render OUT): never a path.
  const badKind = typeof kind === 'string' && kind ? kindName(kind) : undefined;
  if (badKind) { r.error(['kind'], 'BadKind', badKind); ok = false; }
  const badVersion = typeof apiVersion === 'string' && apiVersion ? apiVersionName(apiVersion) : undefined;
  if (badVersion) { r.error(['apiVersion'], 'BadApiVersion', badVersion); ok = false; }
  if (!ok) return undefined;
  return { apiVersion: apiVersion as string, kind: kind as string, name: name as string };
}

/** Ports are integers; a quoted or fractional nodePort would otherwise pass through unchecked. */
function checkServicePorts(r: FieldReader): void {
  (r.list(['spec', 'ports']) ?? []).forEach((p, i) => {
    if (!isObj(p)) return;
    for (const field of ['port', 'nodePort']) {
      const v = p[field];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
        r.error(['spec', 'ports', i, field], field === 'nodePort' ? 'BadNodePort' : 'BadPort', `spec.ports[${i}].${field} must be a whole number 1-65535 (unquoted), got ${JSON.stringify(v)}`);
      }
    }
  });
}

/** Kubernetes' replicas field is an int32. */
const MAX_REPLICAS = 2147483647;

/**
 * gitfed splits a workload's spec.replicas across clusters; the planner reads
 * anything but a whole number as the Kubernetes default (1), so a quoted,
 * fractional or negative count would silently run one replica. null is unset.
 */
function checkReplicas(r: FieldReader): void {
  const v = r.get(['spec', 'replicas']);
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_REPLICAS) {
    r.error(['spec', 'replicas'], 'BadReplicas', `spec.replicas must be a whole number 0-${MAX_REPLICAS} (unquoted), got ${JSON.stringify(v)}`);
  }
}

function checkManifest(r: FieldReader, obj: KubeObject): void {
  const bad = objectName(obj.kind, obj.metadata.name);
  if (bad) r.error(['metadata', 'name'], 'BadName', bad);
  if (obj.kind === 'Service') checkServicePorts(r);
  if (WORKLOAD_KINDS.has(obj.kind)) checkReplicas(r);
  const ns = r.get(['metadata', 'namespace']);
  if (ns !== undefined) {
    if (typeof ns !== 'string') r.error(['metadata', 'namespace'], 'WrongType', 'metadata.namespace must be a string');
    else if (isClusterScoped(obj.kind)) r.error(['metadata', 'namespace'], 'NamespaceOnClusterScoped', `${obj.kind} is cluster-scoped: remove metadata.namespace`);
    else { const b = dns1123Label(ns); if (b) r.error(['metadata', 'namespace'], 'BadName', b); }
  }
  r.stringMap(['metadata', 'labels']);
  const annotations = r.stringMap(['metadata', 'annotations']);
  if (!annotations) return;
  const prefs = preferencesAnnotation(obj);
  if (prefs) {
    const parsed = parseReplicaPreferences(prefs.value);
    if (typeof parsed === 'string') r.error(['metadata', 'annotations', prefs.key], 'BadPreferences', `annotation ${prefs.key}: ${parsed}`);
  }
  const selector = clusterSelectorAnnotation(obj);
  if (selector !== undefined) {
    const parsed = parseClusterSelectorAnnotation(selector);
    if (typeof parsed === 'string') r.error(['metadata', 'annotations', CLUSTER_SELECTOR_ANNOTATION], 'BadClusterSelector', `annotation ${CLUSTER_SELECTOR_ANNOTATION}: ${parsed}`);
  }
}

interface Seen { place: SourcePos }

function addConfig(fleet: Fleet, r: FieldReader, kind: string, name: string, seen: Map<string, Seen>): void {
  const key = `${kind}/${name}`;
  const first = seen.get(key);
  if (first) {
    r.error(['metadata', 'name'], 'DuplicateObject', `${kind} "${name}" is defined twice; the first is at ${fmt(first.place)}`);
    return;
  }
  seen.set(key, { place: r.doc.place });
  switch (kind) {
    case 'Cluster': fleet.clusters.push(parseCluster(r, name)); break;
    case 'NodePortPolicy': {
      const prev = [...seen.entries()].find(([k]) => k.startsWith('NodePortPolicy/') && k !== key);
      if (prev) {
        r.error(['kind'], 'TwoNodePortPolicies', `a fleet has at most one NodePortPolicy; another ("${prev[0].slice(15)}") is at ${fmt(prev[1].place)}`);
        r.findings.push({ severity: 'error', code: 'TwoNodePortPolicies', place: prev[1].place, message: `NodePortPolicy ${prev[0].slice(15)}: a fleet has at most one NodePortPolicy; another ("${name}") is at ${fmt(r.doc.place)}` });
        return;
      }
      fleet.nodePortPolicy = parseNodePortPolicy(r, name);
      break;
    }
    case 'Placement': fleet.placements.push(parsePlacement(r, name)); break;
    case 'Override': fleet.overrides.push(parseOverride(r, name)); break;
    case 'DriftPolicy': fleet.driftPolicies.push(parseDriftPolicy(r, name)); break;
    case 'RolloutPolicy': {
      if (fleet.rolloutPolicy) {
        r.error(['kind'], 'TwoRolloutPolicies', `a fleet repo has at most one RolloutPolicy (${fleet.rolloutPolicy.name} is at ${fleet.rolloutPolicy.place?.file}:${fleet.rolloutPolicy.place?.line})`);
        return;
      }
      fleet.rolloutPolicy = parseRolloutPolicy(r, name);
      break;
    }
    case 'Fleet': {
      if ([...seen.keys()].some((k) => k.startsWith('Fleet/') && k !== key)) {
        r.error(['kind'], 'TwoFleets', 'a fleet repo has at most one kind: Fleet');
        return;
      }
      fleet.settings = parseFleet(r, name);
      break;
    }
  }
}

/** One fleet file's YAML documents (stage 1 of loading). */
export interface ParsedFile {
  path: string;
  docs: ParsedDoc[];
  /** A SOPS-encrypted file whose documents were decrypted in place. */
  encrypted?: boolean;
}

/** Stage 1, pure: bytes -> YAML documents, with the file count, size and encoding checks. */
export function parseFleetFiles(files: readonly FleetFile[], limits: Partial<LoadLimits> = {}): { parsed: ParsedFile[]; findings: Finding[] } {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const findings: Finding[] = [];
  const parsed: ParsedFile[] = [];
  const selected = files.filter((f) => isFleetFile(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (selected.length > lim.maxFiles) {
    findings.push({ severity: 'error', code: 'TooManyFiles', message: `the fleet has ${selected.length} files; the limit is ${lim.maxFiles}` });
    return { parsed, findings };
  }
  for (const file of selected) {
    if (file.content.byteLength > lim.maxFileBytes) {
      findings.push({ severity: 'error', code: 'FileTooLarge', place: { file: file.path, line: 1, col: 1 }, message: `file is ${file.content.byteLength} bytes; the limit is ${lim.maxFileBytes}: split it into several files` });
      continue;
    }
    const decoded = decodeUtf8(file.path, file.content);
    if ('finding' in decoded) { findings.push(decoded.finding); continue; }
    const one = parseYamlFile(file.path, decoded.text, lim);
    findings.push(...one.findings);
    parsed.push({ path: file.path, docs: one.docs });
  }
  return { parsed, findings };
}

/** Stage 2, pure: documents (encrypted files already opened) -> Fleet. */
export function buildFleet(parsed: readonly ParsedFile[], findings: Finding[]): LoadResult {
  const fleet = emptyFleet();
  const configSeen = new Map<string, Seen>();
  const objectSeen = new Map<string, Seen>();
  for (const file of parsed) for (const doc of file.docs) loadDoc(doc, fleet, findings, configSeen, objectSeen, !!file.encrypted);
  findings.sort(compareFindings);
  return { fleet, findings };
}

/**
 * Files -> Fleet without age keys: an encrypted file is an error here (the
 * async loadFleet in ./index.ts opens them).
 */
export function loadFleetFiles(files: readonly FleetFile[], limits: Partial<LoadLimits> = {}): LoadResult {
  const { parsed, findings } = parseFleetFiles(files, limits);
  findings.push(...refuseSopsFiles(parsed));
  return buildFleet(parsed, findings);
}

function loadDoc(doc: ParsedDoc, fleet: Fleet, findings: Finding[], configSeen: Map<string, Seen>, objectSeen: Map<string, Seen>, encrypted: boolean): void {
  const r = new FieldReader(doc, findings, 'object');
  const basics = checkBasics(r);
  if (!basics) return;
  const reader = new FieldReader(doc, findings, `${basics.kind} ${basics.name}`);
  if (basics.apiVersion === CONFIG_API_VERSION) {
    if (!(CONFIG_KINDS as readonly string[]).includes(basics.kind)) {
      reader.error(['kind'], 'UnknownKind', `unknown gitfed kind "${basics.kind}"; expected one of ${CONFIG_KINDS.join(', ')}`);
      return;
    }
    // The kind's field table (types, allowed values, required and unknown
    // fields) and the kind's parser (meaning) both check the document; where
    // both report an error at one place, the parser's more specific one stays.
    const start = findings.length;
    checkKindFields(reader, basics.kind);
    const tableFindings = findings.splice(start);
    addConfig(fleet, reader, basics.kind, basics.name, configSeen);
    const placed = (f: Finding) => (f.place ? `${f.place.file}:${f.place.line}:${f.place.col}` : '');
    const parserErrors = new Set(findings.slice(start).filter((f) => f.severity === 'error').map(placed));
    findings.push(...tableFindings.filter((f) => f.severity !== 'error' || !parserErrors.has(placed(f))));
    return;
  }
  if (basics.apiVersion.startsWith('gitfed.io/')) {
    reader.error(['apiVersion'], 'UnknownApiVersion', `unknown apiVersion "${basics.apiVersion}"; gitfed reads ${CONFIG_API_VERSION}`);
    return;
  }
  const obj = doc.value as KubeObject;
  checkManifest(reader, obj);
  const key = `${groupOf(obj.apiVersion)}/${obj.kind}/${effectiveNamespace(obj) ?? ''}/${obj.metadata.name}`;
  const first = objectSeen.get(key);
  if (first) {
    reader.error(['metadata', 'name'], 'DuplicateObject', `the same object is also defined at ${fmt(first.place)}; an object may appear once in the fleet`);
    return;
  }
  objectSeen.set(key, { place: doc.place });
  fleet.manifests.push({ object: obj, place: doc.place, locate: locator(doc), ...(encrypted ? { encrypted } : {}) });
}
