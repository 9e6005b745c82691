// The rollout state machine, tick by tick: given a policy, gates and what
// people committed on gitfed/control, when the operator steps, then the
// right clusters get the target and the transitions are the status commits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster } from '../helpers/fleet-builder.js';
import { assignWaves, stepRollout, type RolloutInput } from '../../operator/core/rollout.js';
import { emptyControl, emptyIndex, type ClusterGates, type RolloutIndex, type RolloutPolicy } from '../../operator/core/rollout-model.js';

const CLUSTERS = [cluster('asia-east1', { labels: { tier: 'canary' } }), cluster('europe-west1'), cluster('us-east1')];
const policy = (extra: Partial<RolloutPolicy> = {}): RolloutPolicy => ({
  name: 'default',
  waves: [
    { name: 'canary', clusters: { names: ['asia-east1'] }, bakeMs: 10_000, approval: false, maxUnavailable: 1 },
    { name: 'rest', clusters: { matchLabels: {} }, bakeMs: 0, approval: false, maxUnavailable: 1 },
  ],
  gates: { readyReplicas: true, readyEndpoints: true, backendHealth: false },
  progressDeadlineMs: 60_000, onFailure: 'revert', paused: false, ...extra,
});
const ok: ClusterGates = { atTarget: true, ready: true, failing: [] };
const renders = { 'asia-east1': 'h-a', 'europe-west1': 'h-e', 'us-east1': 'h-u' };
const stableIndex = (): RolloutIndex => ({ ...emptyIndex(), stable: 'stable00' });

/** Steps the machine with the same inputs except what each tick overrides. */
function run(base: Partial<RolloutInput>) {
  let index = base.index ?? stableIndex();
  return (now: number, over: Partial<RolloutInput> = {}) => {
    const step = stepRollout({ policy: policy(), clusters: CLUSTERS, target: 'target01', renders, index, control: emptyControl(), gates: {}, now, ...base, ...over });
    index = step.index;
    return step;
  };
}

test('rollout: waves take the clusters in order; a cluster no wave names goes last', () => {
  const p = policy({ waves: [{ name: 'canary', clusters: { names: ['asia-east1'] }, bakeMs: 0, approval: false, maxUnavailable: 1 }] });
  assert.deepEqual(assignWaves(p, CLUSTERS), [{ name: 'canary', clusters: ['asia-east1'] }, { name: '(unassigned)', clusters: ['europe-west1', 'us-east1'] }]);
});

test('rollout: canary first, the rest only after the canary baked on the TARGET revision, one cluster at a time', () => {
  const tick = run({});
  let s = tick(0);
  assert.deepEqual(s.targetClusters, ['asia-east1'], 'only the canary gets the revision');
  assert.match(s.events.join('\n'), /started: canary \(1\), rest \(2\)/);
  // The canary still reports the old revision's health: that never counts.
  s = tick(1000, { gates: { 'asia-east1': { atTarget: false, ready: true, failing: [] } } });
  assert.equal(s.index.current!.waves[0]!.state, 'progressing');
  s = tick(2000, { gates: { 'asia-east1': ok } });
  assert.equal(s.index.current!.waves[0]!.state, 'baking');
  s = tick(8000, { gates: { 'asia-east1': { ...ok, failing: ['readyEndpoints web/nginx: 0 ready'] } } });
  assert.equal(s.index.current!.waves[0]!.gatesSince, undefined, 'a flap restarts the bake clock');
  s = tick(9000, { gates: { 'asia-east1': ok } });
  s = tick(18_000, { gates: { 'asia-east1': ok } });
  assert.deepEqual(s.targetClusters, ['asia-east1'], 'bake not over: 9 s of 10 s');
  s = tick(19_000, { gates: { 'asia-east1': ok } });
  assert.deepEqual(s.events, ['rollout: target0 wave canary passed (1/3 clusters)', 'rollout: target0 wave rest started (europe-west1)']);
  assert.deepEqual(s.targetClusters, ['asia-east1', 'europe-west1'], 'maxUnavailable 1: one cluster of the wave at a time');
  s = tick(20_000, { gates: { 'asia-east1': ok, 'europe-west1': ok } });
  assert.deepEqual(s.targetClusters, ['asia-east1', 'europe-west1', 'us-east1']);
  s = tick(21_000, { gates: { 'asia-east1': ok, 'europe-west1': ok, 'us-east1': ok } });
  assert.equal(s.index.current!.verdict, 'done');
  assert.equal(s.index.stable, 'target01');
  assert.match(s.events.at(-1)!, /done: all 3 cluster\(s\)/);
});

test('rollout: a failed gate past the deadline reverts, quarantines, and never touches later waves', () => {
  const tick = run({});
  tick(0);
  const bad = { 'asia-east1': { ...ok, failing: ['readyReplicas web/nginx: 0/5 ready'] } };
  let s = tick(30_000, { gates: bad });
  assert.equal(s.index.current!.verdict, 'running');
  s = tick(61_000, { gates: bad });
  assert.equal(s.index.current!.verdict, 'reverted');
  assert.deepEqual(s.targetClusters, [], 'every cluster back on the stable revision');
  assert.deepEqual(s.events, ['rollout: target0 failed at wave canary: asia-east1: readyReplicas web/nginx: 0/5 ready after 1m; reverted to stable0']);
  assert.deepEqual(s.index.quarantined[0]!.renders, { 'asia-east1': 'h-a' });
  // The same revision (or another commit that renders the same there) never rolls again on its own.
  s = tick(70_000, { target: 'target02' });
  assert.deepEqual(s.targetClusters, []);
  assert.deepEqual(s.events, []);
  s = tick(80_000, { target: 'target03', renders: { ...renders, 'asia-east1': 'h-fixed' } });
  assert.deepEqual(s.targetClusters, ['asia-east1'], 'a fix starts a new rollout');
});

test('rollout: onFailure pause holds everything where it is', () => {
  const tick = run({ policy: policy({ onFailure: 'pause' }) });
  tick(0);
  const s = tick(61_000, { gates: { 'asia-east1': { ...ok, failing: ['x'] } } });
  assert.equal(s.index.current!.verdict, 'failed');
  assert.deepEqual(s.targetClusters, ['asia-east1'], 'the canary keeps the target; the rest keep stable');
});

test('rollout: paused in the policy or through gitfed/control stops at the next wave boundary; approval waits for gitfed rollout approve', () => {
  const gates = { 'asia-east1': ok, 'europe-west1': ok, 'us-east1': ok };
  const tick = run({ policy: policy({ waves: [policy().waves[0]!, { ...policy().waves[1]!, approval: true, maxUnavailable: 2 }] }) });
  tick(0);
  let s = tick(1000, { gates, control: { ...emptyControl(), paused: true } });
  assert.equal(s.index.current!.waves[0]!.state, 'baking', 'a pause never stops a wave in the middle');
  s = tick(12_000, { gates, control: { ...emptyControl(), paused: true } });
  assert.equal(s.index.current!.verdict, 'paused');
  assert.deepEqual(s.targetClusters, ['asia-east1']);
  s = tick(13_000, { gates });
  assert.equal(s.index.current!.verdict, 'waiting-approval');
  assert.match(s.index.current!.reason!, /gitfed rollout approve target0 --wave rest/);
  s = tick(14_000, { gates, control: { ...emptyControl(), approvals: [{ revision: 'target0', wave: 'rest' }] } });
  assert.deepEqual(s.targetClusters, ['asia-east1', 'europe-west1', 'us-east1'], 'maxUnavailable 2 changes both at once');
});

test('rollout: resumes from the index after a restart, and a new commit supersedes a running rollout', () => {
  const tick = run({});
  tick(0);
  tick(1000, { gates: { 'asia-east1': ok } });
  const saved = JSON.parse(JSON.stringify(tick(11_500, { gates: { 'asia-east1': ok } }).index)) as RolloutIndex;
  assert.equal(saved.current!.waves[0]!.state, 'passed');
  const restarted = run({ index: saved });
  assert.deepEqual(restarted(12_000).targetClusters, ['asia-east1', 'europe-west1'], 'same wave after a restart');
  const s = restarted(13_000, { target: 'target09', renders: { ...renders, 'asia-east1': 'h-9' } });
  assert.match(s.events[0]!, /target0 superseded by target0/);
  assert.deepEqual(s.targetClusters, ['asia-east1'], 'the new revision starts at the first wave');
});

test('rollout: abort through gitfed/control reverts; an Offline cluster is not counted, an all-Offline wave fails at its deadline', () => {
  let tick = run({});
  tick(0);
  let s = tick(1000, { control: { ...emptyControl(), aborts: [{ revision: 'target01', by: 'alice' }] } });
  assert.equal(s.index.current!.verdict, 'aborted');
  assert.match(s.events[0]!, /aborted at wave canary: aborted by alice; reverted to stable0/);
  tick = run({});
  tick(0);
  s = tick(61_000, { gates: { 'asia-east1': { atTarget: false, ready: false, failing: [] } } });
  assert.match(s.events[0]!, /no Ready cluster in the wave after 1m/);
});
