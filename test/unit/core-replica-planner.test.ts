// Federation v1's planner, case by case (given / when / then as table rows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planReplicas, type PlanInput } from '../../operator/core/replica-planner.js';
import type { ReplicaPreferences } from '../../operator/core/model.js';

const equal: ReplicaPreferences = { rebalance: false, clusters: { '*': { weight: 1, minReplicas: 0, maxReplicas: null } } };
const base: PlanInput = { total: 50, preferences: equal, clusters: ['A', 'B', 'C'], current: {}, capacity: {}, workloadKey: '' };

const cases: Array<{ name: string; input: Partial<PlanInput>; plan: Record<string, number>; overflow?: Record<string, number>; unplaced?: number }> = [
  { name: '50 over three equal clusters is 16/17/17', input: {}, plan: { A: 16, B: 17, C: 17 } },
  { name: 'fewer replicas than clusters', input: { total: 2 }, plan: { A: 0, B: 1, C: 1 } },
  { name: 'zero replicas', input: { total: 0 }, plan: { A: 0, B: 0, C: 0 } },
  { name: 'maxReplicas caps one cluster, the rest goes elsewhere',
    input: { preferences: { rebalance: false, clusters: { '*': { weight: 1, minReplicas: 0, maxReplicas: null }, A: { weight: 1, minReplicas: 0, maxReplicas: 2 } } } },
    plan: { A: 2, B: 24, C: 24 } },
  { name: 'minReplicas first, then weights',
    input: { preferences: { rebalance: false, clusters: { A: { weight: 0, minReplicas: 10, maxReplicas: null }, '*': { weight: 1, minReplicas: 0, maxReplicas: null } } } },
    plan: { A: 10, B: 20, C: 20 } },
  { name: 'weights 2:1:1', input: { total: 40, preferences: { rebalance: true, clusters: { A: { weight: 2, minReplicas: 0, maxReplicas: null }, '*': { weight: 1, minReplicas: 0, maxReplicas: null } } } },
    plan: { A: 20, B: 10, C: 10 } },
  { name: 'a cluster matched by no key gets nothing', input: { preferences: { rebalance: false, clusters: { A: { weight: 1, minReplicas: 0, maxReplicas: null }, B: { weight: 1, minReplicas: 0, maxReplicas: null } } } },
    plan: { A: 25, B: 25 } },
  { name: 'an unreachable cluster (not in the list) gives its share to the others', input: { clusters: ['A', 'B'] }, plan: { A: 25, B: 25 } },
  { name: 'without rebalance replicas stay where they run', input: { current: { A: 30, B: 20 } }, plan: { A: 30, B: 20, C: 0 } },
  { name: 'with rebalance they are spread again', input: { current: { A: 30, B: 20 }, preferences: { ...equal, rebalance: true } }, plan: { A: 16, B: 17, C: 17 } },
  { name: 'capacity: overflow moves to clusters with room', input: { capacity: { A: 5 } }, plan: { A: 5, B: 22, C: 23 }, overflow: { A: 11 } },
  { name: 'everything full: the rest is unplaced', input: { capacity: { A: 5, B: 5, C: 5 } }, plan: { A: 5, B: 5, C: 5 }, overflow: { A: 11, B: 12, C: 12 }, unplaced: 35 },
  { name: 'all weights zero and no mins: nothing placed', input: { preferences: { rebalance: false, clusters: { '*': { weight: 0, minReplicas: 0, maxReplicas: null } } } }, plan: { A: 0, B: 0, C: 0 }, unplaced: 50 },
];

for (const c of cases) {
  test(`planner: ${c.name}`, () => {
    const out = planReplicas({ ...base, ...c.input });
    assert.deepEqual(out.plan, c.plan);
    assert.deepEqual(out.overflow, c.overflow ?? {});
    assert.equal(out.unplaced, c.unplaced ?? 0);
    const placed = Object.values(out.plan).reduce((a, b) => a + b, 0);
    assert.equal(placed + out.unplaced, c.input.total ?? 50, 'the sum is kept');
  });
}

test('planner: the tie-break depends on the workload, so small workloads spread out', () => {
  const winners = new Set<string>();
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
    const out = planReplicas({ ...base, total: 1, workloadKey: `web/${name}` });
    winners.add(Object.entries(out.plan).find(([, n]) => n === 1)![0]);
  }
  assert.ok(winners.size > 1, `one replica always landed on ${[...winners]}`);
});
