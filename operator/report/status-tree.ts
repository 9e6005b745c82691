// The status tree written back to Git after every reconcile (pure: data in,
// files out). Nothing in it changes unless the fleet's state changes, so an
// idle fleet produces no commits.
import { shortRev } from '../core/short-rev.js';
import type { ProjectReport } from '../gce/gce-report.js';
import { describeCloudResource } from '../core/gce-orphans.js';
import { stringify } from 'yaml';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import type { Allocations, Finding } from '../core/model.js';
import { assertPathSegment } from '../core/names.js';
import { formatFinding } from '../load/format-finding.js';
import type { RolloutIndex } from '../core/rollout-model.js';
import { oneLine } from './markdown.js';
import { FLEET_SVG, fleetSvg } from './fleet-svg.js';
import { renderReadme } from './readme.js';
import { rolloutLine } from './rollout-view.js';

/**
 * Marks a directory (or status branch) as gitfed's own: gitfed replaces the
 * whole content of a status directory on every update, so it only ever
 * replaces one that is empty, absent, or carries this file.
 */
export const STATUS_MARKER = '.gitfed-owned';
const MARKER_TEXT = 'Written by gitfed: everything here is replaced on each status update. Do not keep other files here.\n';
/** The files with the marker added (what every writer of a status tree writes). */
export function withMarker(files: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  return files.has(STATUS_MARKER) ? files : new Map([[STATUS_MARKER, MARKER_TEXT], ...files]);
}

const LEGACY_REQUIRED = ['README.md', 'clusters.yaml', 'allocations.yaml', 'errors.yaml'];
const STATUS_NAMES = new Set([STATUS_MARKER, ...LEGACY_REQUIRED, 'drift.yaml', 'ingresses', 'COMMIT_MESSAGE', 'fleet.svg']);

/**
 * May gitfed replace a directory (or branch tree) with these entries? Only
 * when it is empty, carries the marker, or is a status tree written before
 * the marker existed (gitfed's files and nothing else).
 */
export function ownsStatusTree(names: readonly string[]): boolean {
  if (names.length === 0 || names.includes(STATUS_MARKER)) return true;
  return LEGACY_REQUIRED.every((n) => names.includes(n)) && names.every((n) => STATUS_NAMES.has(n));
}

export interface StatusInput {
  /** Head of the watched branch. */
  revision: string;
  /** The revision whose objects are applied (differs when the head failed to load). */
  appliedRevision?: string;
  repo: string;
  branch: string;
  /** Load/render findings of `revision` (errors mean it was not applied). */
  findings: readonly Finding[];
  result?: ReconcileResult;
  allocations: Allocations;
  /** Rollout waves in progress or done (with a RolloutPolicy). */
  rollout?: RolloutIndex;
  /** Problems with gitfed's own state (e.g. an invalid allocations.yaml that was rebuilt). */
  stateFindings?: readonly Finding[];
  /** With --gce/--gce-endpoint: per project the health-check firewall and the orphaned GLBC resources. */
  gce?: ReadonlyArray<Omit<ProjectReport, 'resources'>>;
}

export const short = (sha: string | undefined) => shortRev(sha, 'none');

export function appliedCount(r: ReconcileResult | undefined): { ok: number; total: number; notes: string[] } {
  if (!r) return { ok: 0, total: 0, notes: [] };
  const active = r.clusters.filter((c) => c.skipped !== 'paused');
  const notes: string[] = [];
  let ok = 0;
  for (const c of active) {
    if (c.health !== 'Ready') notes.push(`${c.cluster} ${c.health}`);
    else if (c.errors.length > 0 || c.counts.failed > 0) notes.push(`${c.cluster} errors`);
    else ok++;
  }
  return { ok, total: active.length, notes };
}

/** The subject of the status commit (and the git note): always ONE line, so no text can become a trailer. */
export function commitMessage(s: StatusInput): string {
  return oneLine(subject(s));
}

function subject(s: StatusInput): string {
  const failed = s.findings.some((f) => f.severity === 'error') && s.appliedRevision !== s.revision;
  if (failed) {
    const first = s.findings.find((f) => f.severity === 'error')!;
    return `status: ${short(s.revision)} not applied: ${oneLine(formatFinding(first)).slice(0, 120)}; ${s.appliedRevision ? `${short(s.appliedRevision)} stays applied` : 'nothing applied'}`;
  }
  const r = s.rollout?.current;
  if (r && r.revision === s.appliedRevision && r.verdict !== 'done') return `status: ${rolloutLine(r)}`.slice(0, 200);
  const { ok, total, notes } = appliedCount(s.result);
  // A revision gets a commit when it is applied and another when its Pods are
  // ready behind the load balancer: the second says so, so `git log` tells
  // them apart. Serving: every federated Ingress has an address, and the
  // cluster is healthy with ready endpoints behind each Ingress it carries.
  const ingresses = s.result?.ingresses ?? [];
  if (s.result && ingresses.length > 0 && ingresses.every((i) => i.addresses.length > 0)) {
    const active = s.result.clusters.filter((c) => c.skipped !== 'paused');
    const why = (c: (typeof active)[number]): string | undefined => {
      if (c.health !== 'Ready') return `${c.cluster} ${c.health}`;
      if (c.errors.length > 0 || c.counts.failed > 0) return `${c.cluster} errors`;
      const shards = ingresses.flatMap((i) => i.shards.filter((x) => x.cluster === c.cluster));
      if (shards.length === 0) return `${c.cluster} no Ingress`;
      return shards.every((x) => x.readyEndpoints > 0) ? undefined : `${c.cluster} no ready endpoints`;
    };
    const idle = active.map(why).filter((w): w is string => w !== undefined);
    if (idle.length < active.length) {
      const addresses = [...new Set(ingresses.flatMap((i) => i.addresses))].sort();
      return `status: ${short(s.revision)} serving on ${addresses.join(', ')} in ${active.length - idle.length}/${active.length} clusters${idle.length ? ` (${idle.join(', ')})` : ''}`;
    }
  }
  return `status: ${short(s.revision)} applied to ${ok}/${total} clusters${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

export function statusFiles(s: StatusInput): Map<string, string> {
  const files = new Map<string, string>();
  const r = s.result;
  files.set(STATUS_MARKER, MARKER_TEXT);
  files.set('README.md', renderReadme(s));
  if (r) files.set(FLEET_SVG, fleetSvg(s));
  files.set('clusters.yaml', stringify({
    revision: s.revision, appliedRevision: s.appliedRevision ?? null,
    clusters: (r?.clusters ?? []).map((c) => ({
      name: c.cluster, health: c.health, reason: c.reason, ...(c.skipped ? { skipped: c.skipped } : {}),
      sync: { inSync: c.counts.inSync + c.counts.changed, drifted: c.counts.drifted, missing: c.counts.missing, failed: c.counts.failed, blocked: c.counts.blocked }, errors: c.errors,
      replicas: Object.fromEntries((r?.replicas ?? []).map((d) => [`${d.ref.namespace}/${d.ref.name}`, d.plan[c.cluster] ?? 0])),
    })),
  }));
  for (const i of r?.ingresses ?? []) {
    // Names come from rendered (validated) objects; a "/" or ".." would escape the status directory.
    files.set(`ingresses/${assertPathSegment(i.ref.namespace ?? 'default')}/${assertPathSegment(i.ref.name)}.yaml`, stringify({
      name: i.ref.name, namespace: i.ref.namespace, staticIp: i.staticIp ?? null, ...(i.staticIps ? { staticIps: i.staticIps } : {}), addresses: i.addresses,
      shards: i.shards.map((x) => ({ cluster: x.cluster, ips: x.ips, backends: x.backends, endpoints: { ready: x.readyEndpoints, total: x.totalEndpoints }, ...(x.gce ? { gce: x.gce } : {}) })),
    }));
  }
  if (s.gce) {
    // What gitfed gce gc would list, and whether Google's health checks reach the nodes: a status field per project.
    files.set('gce.yaml', stringify({
      projects: s.gce.map((p) => ({
        project: p.project, ...(p.error ? { error: p.error } : {}),
        firewall: p.firewall.map((f) => ({ verdict: f.verdict, message: f.message, ...(f.fix ? { fix: f.fix } : {}) })),
        orphans: p.orphans.orphans.map((o) => ({ resource: describeCloudResource(o.resource), reason: o.reason, ...(o.blocks ? { blocks: o.blocks } : {}), ...(o.uidInUseBy?.length ? { uidInUseBy: o.uidInUseBy } : {}) })),
        ...(p.orphans.unknown.length ? { notChecked: p.orphans.unknown } : {}),
      })),
    }));
  }
  files.set('drift.yaml', stringify({
    drift: (r?.clusters ?? []).flatMap((c) => c.drift.map((d) => ({ cluster: c.cluster, kind: d.ref.kind, namespace: d.ref.namespace ?? null, name: d.ref.name, change: d.kind, policy: d.mode, fields: d.fields }))),
  }));
  files.set('allocations.yaml', stringify(s.allocations));
  files.set('errors.yaml', stringify({
    revision: s.revision,
    errors: [
      ...[...(s.stateFindings ?? []), ...s.findings].filter((f) => f.severity === 'error').map((f) => ({ where: f.place ? `${f.place.file}:${f.place.line}:${f.place.col}` : f.cluster ? `cluster/${f.cluster}` : 'fleet', code: f.code, message: f.message })),
      ...(r?.clusters ?? []).flatMap((c) => c.errors.map((e) => ({ where: `cluster/${c.cluster}`, code: 'ClusterError', message: e }))),
    ],
  }));
  return files;
}
