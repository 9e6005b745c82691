// The rollout state machine: one pure step per operator tick. Given the
// policy, the target revision, the rollout index from the status branch,
// what people committed on gitfed/control and this tick's gates, it says
// which clusters get the target revision now and what changed (each
// transition becomes a status commit). No IO, no clock: `now` comes in.
import { shortRev } from './short-rev.js';
import { createHash } from 'node:crypto';
import type { ClusterSpec } from './model.js';
import {
  LAST_WAVE, type ClusterGates, type QuarantinedRevision, type RolloutControl, type RolloutIndex, type RolloutPolicy,
  type RolloutRecord, type WaveRecord,
} from './rollout-model.js';
import { selectClusters } from './selectors.js';
import { ownValue } from './own-value.js';

export interface RolloutInput {
  policy: RolloutPolicy;
  clusters: readonly ClusterSpec[];
  target: string;
  /** cluster -> hash of what the target renders there (for quarantine). */
  renders: Record<string, string>;
  index: RolloutIndex;
  control: RolloutControl;
  /** Gates of clusters that were given the target (missing = not observed this tick). */
  gates: Record<string, ClusterGates>;
  now: number;
}

export interface RolloutStep {
  index: RolloutIndex;
  /** Clusters that run the target now; every other cluster keeps the stable revision. */
  targetClusters: string[];
  /** Transitions, oldest first: `rollout: 1a2b3c4 wave canary passed (1/3 clusters)`. */
  events: string[];
}

const HISTORY = 20;
const short = (rev?: string) => shortRev(rev);

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Waves in order with their clusters; a cluster goes to the first wave that selects it, the rest go last. */
export function assignWaves(policy: RolloutPolicy, clusters: readonly ClusterSpec[]): Array<{ name: string; clusters: string[] }> {
  const taken = new Set<string>();
  const out = policy.waves.map((w) => {
    const picked = selectClusters(w.clusters, clusters).map((c) => c.name).filter((n) => !taken.has(n));
    for (const n of picked) taken.add(n);
    return { name: w.name, clusters: picked };
  });
  const rest = clusters.map((c) => c.name).filter((n) => !taken.has(n));
  if (rest.length) out.push({ name: LAST_WAVE, clusters: rest });
  return out;
}

/** A revision is quarantined while it renders, for the clusters where it failed, what the failed one rendered. */
export function quarantinedBy(index: RolloutIndex, renders: Record<string, string>): QuarantinedRevision | undefined {
  return index.quarantined.find((q) => Object.entries(q.renders).every(([c, h]) => ownValue(renders, c) === h));
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function stepRollout(input: RolloutInput): RolloutStep {
  const { policy, target, now } = input;
  const index = clone(input.index);
  const events: string[] = [];
  const waves = assignWaves(policy, input.clusters);
  const all = waves.flatMap((w) => w.clusters);
  const finish = (r: RolloutRecord) => {
    r.finishedAt = now;
    index.history = [r, ...index.history].slice(0, HISTORY);
    index.current = r;
  };

  if (index.current?.revision !== target) {
    if (target === index.stable) return { index, targetClusters: all, events };
    const q = quarantinedBy(index, input.renders);
    if (q) return { index, targetClusters: [], events };
    if (index.current && isActive(index.current)) {
      index.current.verdict = 'superseded';
      index.current.reason = `superseded by ${short(target)}`;
      finish(index.current);
      events.push(`rollout: ${short(index.current.revision)} superseded by ${short(target)}`);
    }
    index.current = {
      revision: target, ...(index.stable ? { stable: index.stable } : {}), verdict: 'running', startedAt: now,
      waves: waves.map((w) => ({ name: w.name, clusters: w.clusters, state: 'pending', changed: [] })),
    };
    events.push(`rollout: ${short(target)} started: ${waves.map((w) => `${w.name} (${w.clusters.length})`).join(', ')}`);
  }
  const r = index.current!;
  if (isActive(r)) advance(input, index, r, events, finish);
  return { index, targetClusters: targetClusters(r, all), events };
}

function isActive(r: RolloutRecord): boolean {
  return r.verdict === 'running' || r.verdict === 'paused' || r.verdict === 'waiting-approval';
}

function targetClusters(r: RolloutRecord, all: string[]): string[] {
  if (r.verdict === 'done') return all;
  if (r.verdict === 'reverted' || r.verdict === 'aborted' || r.verdict === 'superseded') return [];
  return r.waves.flatMap((w) => (w.state === 'passed' ? w.clusters : w.changed));
}

function advance(input: RolloutInput, index: RolloutIndex, r: RolloutRecord, events: string[], finish: (r: RolloutRecord) => void): void {
  const { policy, now, control, target } = input;
  const total = r.waves.reduce((n, w) => n + w.clusters.length, 0);
  const abort = control.aborts.find((a) => a.revision === target || target.startsWith(a.revision));
  if (abort) {
    const wave = r.waves.find((w) => w.state !== 'passed') ?? r.waves[r.waves.length - 1]!;
    fail(input, index, r, wave, `aborted${abort.by ? ` by ${abort.by}` : ''}`, events, finish, true);
    return;
  }
  for (const w of r.waves) {
    if (w.state === 'passed') continue;
    const spec = policy.waves.find((p) => p.name === w.name);
    const maxUnavailable = Math.max(1, spec?.maxUnavailable ?? 1);
    if (w.state === 'pending' || w.state === 'paused' || w.state === 'waiting-approval') {
      // A wave boundary: pause and approval are checked here, never in the middle of a wave.
      if (policy.paused || control.paused) {
        setState(r, w, 'paused', 'paused', now, policy.paused ? 'paused by the RolloutPolicy' : 'paused through gitfed/control', events, `rollout: ${short(target)} paused before wave ${w.name}`);
        return;
      }
      const approved = control.approvals.some((a) => (a.revision === target || target.startsWith(a.revision)) && a.wave === w.name);
      if (spec?.approval && !approved) {
        setState(r, w, 'waiting-approval', 'waiting-approval', now, `waiting for gitfed rollout approve ${short(target)} --wave ${w.name}`, events, `rollout: ${short(target)} waiting for approval of wave ${w.name}`);
        return;
      }
      r.verdict = 'running';
      delete r.reason;
      w.state = 'progressing';
      w.startedAt = now;
      w.since = now;
      delete w.reason;
      w.changed = w.clusters.slice(0, maxUnavailable);
      events.push(`rollout: ${short(target)} wave ${w.name} started (${w.changed.join(', ') || 'no clusters'})`);
      if (w.clusters.length === 0) { pass(r, w, now, total, target, events); continue; }
      return;
    }
    // progressing or baking: judge only clusters that run the target now.
    const counted = w.changed.filter((c) => ownValue(input.gates, c)?.ready !== false);
    const failing = counted.flatMap((c) => {
      const g = ownValue(input.gates, c);
      if (!g) return [`${c}: not observed yet`];
      if (!g.atTarget) return [`${c}: not at ${short(target)} yet`];
      return g.failing.map((f) => `${c}: ${f}`);
    });
    const holds = counted.length > 0 && failing.length === 0;
    if (now - (w.startedAt ?? now) > policy.progressDeadlineMs && !(holds && w.changed.length === w.clusters.length && w.state === 'baking')) {
      const why = counted.length === 0 ? 'no Ready cluster in the wave' : failing.join('; ') || 'gates did not hold';
      fail(input, index, r, w, `${why} after ${formatDuration(policy.progressDeadlineMs)}`, events, finish, false);
      return;
    }
    if (!holds) {
      if (w.state === 'baking') events.push(`rollout: ${short(target)} wave ${w.name} gates broke during bake: ${failing.join('; ')}`);
      w.state = 'progressing';
      delete w.gatesSince;
      w.reason = failing.join('; ') || 'no Ready cluster in the wave';
      return;
    }
    if (w.changed.length < w.clusters.length) {
      const next = w.clusters.filter((c) => !w.changed.includes(c)).slice(0, maxUnavailable);
      w.changed.push(...next);
      events.push(`rollout: ${short(target)} wave ${w.name} continues with ${next.join(', ')}`);
      return;
    }
    w.gatesSince ??= now;
    if (w.state !== 'baking') { w.state = 'baking'; w.since = now; delete w.reason; }
    if (now - w.gatesSince < (spec?.bakeMs ?? 0)) return;
    pass(r, w, now, total, target, events);
  }
  r.verdict = 'done';
  index.stable = target;
  finish(r);
  events.push(`rollout: ${short(target)} done: all ${total} cluster(s)`);
}

function setState(r: RolloutRecord, w: WaveRecord, wave: WaveRecord['state'], verdict: RolloutRecord['verdict'], now: number, reason: string, events: string[], event: string): void {
  if (w.state !== wave || r.verdict !== verdict) { events.push(event); w.since = now; }
  w.state = wave;
  w.reason = reason;
  r.verdict = verdict;
  r.reason = reason;
}

function pass(r: RolloutRecord, w: WaveRecord, now: number, total: number, target: string, events: string[]): void {
  w.state = 'passed';
  w.since = now;
  delete w.reason;
  const done = r.waves.filter((x) => x.state === 'passed').reduce((n, x) => n + x.clusters.length, 0);
  events.push(`rollout: ${short(target)} wave ${w.name} passed (${done}/${total} clusters)`);
}

function fail(input: RolloutInput, index: RolloutIndex, r: RolloutRecord, w: WaveRecord, why: string, events: string[], finish: (r: RolloutRecord) => void, aborted: boolean): void {
  w.state = 'failed';
  w.since = input.now;
  w.reason = why;
  const revert = aborted || input.policy.onFailure === 'revert';
  if (revert && r.stable) {
    r.verdict = aborted ? 'aborted' : 'reverted';
    r.reason = `wave ${w.name}: ${why}`;
    // Quarantined where it failed: only a commit that renders differently there starts a new rollout.
    const failedHere = w.clusters.length ? w.clusters : Object.keys(input.renders);
    index.quarantined = [{ revision: r.revision, renders: Object.fromEntries(failedHere.map((c) => [c, ownValue(input.renders, c) ?? ''])), reason: r.reason }, ...index.quarantined].slice(0, HISTORY);
    finish(r);
    events.push(`rollout: ${short(r.revision)} ${aborted ? 'aborted' : 'failed'} at wave ${w.name}: ${why}; reverted to ${short(r.stable)}`);
    return;
  }
  // onFailure: pause (or nothing to revert to): everything holds where it is.
  r.verdict = 'failed';
  r.reason = `wave ${w.name}: ${why}${revert ? '; no earlier revision passed every wave, so nothing to revert to: holding' : ''}`;
  finish(r);
  events.push(`rollout: ${short(r.revision)} failed at wave ${w.name}: ${why}; holding (onFailure: ${revert ? 'revert, but no stable revision' : 'pause'})`);
}

/**
 * What a revision renders per cluster, as a hash (for quarantine): rendered
 * without observations from fixed allocations, so it depends only on the
 * fleet files: a commit that changes nothing for a cluster hashes the same.
 */
export function renderFingerprints(rendered: { clusters: ReadonlyArray<{ cluster: string; objects: readonly unknown[] }> }): Record<string, string> {
  return Object.fromEntries(rendered.clusters.map((c) => [c.cluster, createHash('sha256').update(JSON.stringify(c.objects)).digest('hex').slice(0, 16)]));
}

/** Which clusters run the target before this tick's step (the step itself runs after the tick's observation). */
export function currentTargets(index: RolloutIndex, target: string, clusters: readonly ClusterSpec[], policy: RolloutPolicy): string[] {
  const all = assignWaves(policy, clusters).flatMap((w) => w.clusters);
  if (index.current?.revision === target) return targetClusters(index.current, all);
  return target === index.stable ? all : [];
}
