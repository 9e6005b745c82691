// The rollout driver in the loop: a transition (a wave passed) stands only
// once the status commit that records it has landed. When the commit fails
// (git down, push refused), the next tick widens nothing: it decides the
// transition again and acts on it only after a commit lands. Pure fakes of
// the status branch; no cluster (the results are what a tick would observe).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { loadFleetFiles } from '../../operator/load/index.js';
import { RolloutDriver } from '../../operator/loop/rollout-driver.js';

const enc = (s: string) => new TextEncoder().encode(s);
const files = [
  { path: 'clusters/c.yaml', content: enc(['c1', 'c2'].map((c) => stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { provider: 'other' } })).join('---\n')) },
  { path: 'manifests/cm.yaml', content: enc('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: default }\ndata: { k: v }\n') },
  { path: 'policies/rollout.yaml', content: enc(stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'RolloutPolicy', metadata: { name: 'default' }, spec: { waves: [{ name: 'canary', clusters: { names: ['c1'] }, bake: '0s' }, { name: 'rest', clusters: { matchLabels: {} } }], progressDeadline: '10m' } })) },
];
const loaded = loadFleetFiles(files);
const target = { revision: 'b'.repeat(40), fleet: loaded.fleet, findings: loaded.findings };

function clusterAtTarget(name: string): ClusterResult {
  return {
    cluster: name, health: 'Ready', reason: 'ClusterReady', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [],
    counts: { inSync: 1, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {}, workloads: [],
  };
}
const result = (): ReconcileResult => ({ clusters: [clusterAtTarget('c1'), clusterAtTarget('c2')], ingresses: [], replicas: [], allocations: emptyAllocations(), findings: [], renderFailed: false });

test('rollout driver: a wave that passed in a tick whose status commit failed is not acted on; it passes again and widens only after a commit lands', async () => {
  assert.deepEqual(loaded.findings.filter((f) => f.severity === 'error'), []);
  const driver = new RolloutDriver({ readIndex: async () => undefined, files: async () => files, log: { warn: () => undefined } });
  const targets = async () => [...(await driver.before(target))!.targetClusters].sort();

  assert.deepEqual(await targets(), [], 'a new revision reaches no cluster before the rollout starts');
  const start = await driver.after(target, result(), 1_000);
  assert.match(start.events.join('\n'), /started/);
  driver.settle(true);
  assert.deepEqual(await targets(), ['c1'], 'the canary');

  const passed = await driver.after(target, result(), 2_000);
  assert.match(passed.events.join('\n'), /wave canary passed/);
  assert.equal(passed.again, true, 'the assignment widened');
  driver.settle(false); // the status commit of that tick did not land
  assert.deepEqual(await targets(), ['c1'], 'nothing beyond the canary while the transition is unrecorded');

  const again = await driver.after(target, result(), 3_000);
  assert.match(again.events.join('\n'), /wave canary passed/, 'decided again');
  driver.settle(true);
  assert.deepEqual(await targets(), ['c1', 'c2'], 'widened once the commit landed');
  assert.match(driver.files().get('rollouts/index.yaml')!, /state: passed/);
});

test('rollout driver, run --shards: the leader judges another replica\'s cluster by the gates it reported, only at the target revision; a follower writes what the leader published', async () => {
  const driver = new RolloutDriver({ readIndex: async () => undefined, files: async () => files, log: { warn: () => undefined } });
  await driver.before(target);
  await driver.after(target, result(), 1_000);
  driver.settle(true);
  assert.deepEqual([...(await driver.before(target))!.targetClusters], ['c1']);
  // c1 is another replica's: no objects here, only its report. At the stable revision it is not at target, whatever its gates say.
  const reported = (revision: string, failing: string[] = []): ReconcileResult => ({ ...result(), clusters: [{ ...clusterAtTarget('c1'), reportedGates: { revision, gates: { atTarget: true, ready: true, failing } } }, clusterAtTarget('c2')] });
  const stale = await driver.after(target, reported('a'.repeat(40)), 2_000);
  assert.doesNotMatch(stale.events.join('\n'), /passed/, 'gates judged at another revision do not pass the wave');
  const failing = await driver.after(target, reported(target.revision, ['readyEndpoints web/web: 0/1 ready']), 3_000);
  assert.doesNotMatch(failing.events.join('\n'), /passed/, 'a failing gate holds the wave');
  const passed = await driver.after(target, reported(target.revision), 4_000);
  assert.match(passed.events.join('\n'), /wave canary passed/);

  // The other replica: the clusters the leader published get the revision, the others are held; applied once, then only healed.
  const follower = new RolloutDriver({ readIndex: async () => undefined, files: async () => files, log: { warn: () => undefined } });
  assert.deepEqual([...(await follower.follow(target, undefined))!.targetClusters], [], 'nothing published yet: every cluster held');
  const opt = (await follower.follow(target, { targets: ['c2'] }))!;
  assert.deepEqual([...opt.targetClusters], ['c2']);
  assert.equal(opt.writesFor!('c2'), 'all');
  follower.record(result());
  assert.equal((await follower.follow(target, { targets: ['c2'] }))!.writesFor!('c2'), 'heal', 'applied: only healed from now on');
  assert.deepEqual([...follower.ownGates(target, result()).entries()].map(([c, g]) => [c, g.revision, g.gates.atTarget]), [['c1', '', true], ['c2', target.revision, true]]);
});
