// kind: RolloutPolicy -> the typed policy, every field checked where it is
// written. Defaults that gate something: maxUnavailable 1 (never "all"),
// progressDeadline 10m, onFailure revert, readyReplicas and readyEndpoints on.
import { durationMs } from '../core/durations.js';
import type { PrometheusGate, RolloutPolicy, RolloutWave } from '../core/rollout-model.js';
import { clusterSelector } from './config-objects.js';
import { isObj, type FieldReader } from './field-reader.js';
import { dns1123Label } from './names.js';

function duration(r: FieldReader, path: (string | number)[], fallback: number): number {
  const v = r.get(path);
  if (v === undefined || v === null) return fallback;
  const ms = typeof v === 'string' ? durationMs(v) : undefined;
  if (ms === undefined) {
    r.error(path, 'BadDuration', `${path.join('.')} must be a duration like 30s, 2m or 1h, got ${JSON.stringify(v)}`);
    return fallback;
  }
  return ms;
}

function wave(r: FieldReader, i: number, names: Set<string>): RolloutWave | undefined {
  const p = ['spec', 'waves', i];
  if (!isObj(r.get(p))) { r.error(p, 'BadWave', `spec.waves[${i}] must be {name, clusters, bake?, approval?, maxUnavailable?}`); return undefined; }
  const name = r.str([...p, 'name']);
  if (!name) { r.error([...p, 'name'], 'NoWaveName', `spec.waves[${i}].name is required`); return undefined; }
  const bad = dns1123Label(name);
  if (bad) r.error([...p, 'name'], 'BadName', bad);
  if (names.has(name)) r.error([...p, 'name'], 'DuplicateWave', `wave "${name}" is defined twice`);
  names.add(name);
  if (!isObj(r.get([...p, 'clusters']))) r.error([...p, 'clusters'], 'NoWaveClusters', `wave ${name}: clusters is required ({names: [...]}, {matchLabels: {...}} or {matchExpressions: [...]}; {matchLabels: {}} is every cluster not in an earlier wave)`);
  const maxRaw = r.get([...p, 'maxUnavailable']);
  let maxUnavailable = 1;
  if (maxRaw !== undefined) {
    if (typeof maxRaw !== 'number' || !Number.isInteger(maxRaw) || maxRaw < 1) r.error([...p, 'maxUnavailable'], 'BadMaxUnavailable', `wave ${name}: maxUnavailable must be a whole number of clusters >= 1, got ${JSON.stringify(maxRaw)}`);
    else maxUnavailable = maxRaw;
  }
  return {
    name, clusters: clusterSelector(r, [...p, 'clusters']), bakeMs: duration(r, [...p, 'bake'], 0),
    approval: r.bool([...p, 'approval']) ?? false, maxUnavailable, place: r.at(p),
  };
}

function prometheus(r: FieldReader): PrometheusGate | undefined {
  const p = ['spec', 'gates', 'prometheus'];
  if (r.get(p) === undefined) return undefined;
  const url = r.str([...p, 'url']);
  const query = r.str([...p, 'query']);
  const max = r.get([...p, 'max']);
  if (!url || !/^https?:\/\//.test(url)) r.error([...p, 'url'], 'BadPrometheus', 'gates.prometheus.url must be an http(s) URL of a Prometheus server');
  if (!query) r.error([...p, 'query'], 'BadPrometheus', 'gates.prometheus.query is required (a PromQL expression that returns one number per cluster)');
  if (typeof max !== 'number') r.error([...p, 'max'], 'BadPrometheus', `gates.prometheus.max must be a number, got ${JSON.stringify(max)}`);
  return url && query && typeof max === 'number' ? { url, query, max } : undefined;
}

export function parseRolloutPolicy(r: FieldReader, name: string): RolloutPolicy {
  const list = r.list(['spec', 'waves']);
  if (!list?.length) r.error(['spec', 'waves'], 'NoWaves', 'spec.waves must list at least one wave');
  const names = new Set<string>();
  const waves = (list ?? []).map((_, i) => wave(r, i, names)).filter((w): w is RolloutWave => !!w);
  const onFailure = r.str(['spec', 'onFailure']) ?? 'revert';
  if (onFailure !== 'revert' && onFailure !== 'pause') r.error(['spec', 'onFailure'], 'BadOnFailure', `spec.onFailure must be revert or pause, got "${onFailure}"`);
  const prom = prometheus(r);
  return {
    name, waves,
    gates: {
      readyReplicas: r.bool(['spec', 'gates', 'readyReplicas']) ?? true,
      readyEndpoints: r.bool(['spec', 'gates', 'readyEndpoints']) ?? true,
      backendHealth: r.bool(['spec', 'gates', 'backendHealth']) ?? false,
      ...(prom ? { prometheus: prom } : {}),
    },
    progressDeadlineMs: duration(r, ['spec', 'progressDeadline'], 600_000),
    onFailure: onFailure === 'pause' ? 'pause' : 'revert',
    paused: r.bool(['spec', 'paused']) ?? false,
    place: r.doc.place,
  };
}
