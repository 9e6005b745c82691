// Replica weights are relative, so they are bounded (MAX_WEIGHT) with a
// finding at the preference; and the planner never splits into NaN, even for
// weights the loader would refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WEIGHT } from '../../operator/core/federation-annotations.js';
import type { RenderResult } from '../../operator/core/model.js';
import { planReplicas, type PlanInput } from '../../operator/core/replica-planner.js';
import { renderFleetText, webPlacementYaml } from '../helpers/fleet-text.js';

function renderWeight(weight: string, where: 'placement' | 'annotation'): RenderResult {
  const prefs = `{"rebalance": false, "clusters": {"*": {"weight": ${weight}}}}`;
  const files: Record<string, string> = {
    'clusters/c.yaml': ['a', 'b'].map((n, i) => `apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: ${n} }\nspec: { gce: { project: p, zone: z${i} } }\n`).join('---\n'),
    'manifests/d.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    ${where === 'annotation' ? `federation.kubernetes.io/deployment-preferences: '${prefs}'` : 'note: none'}
spec:
  replicas: 10
  selector: { matchLabels: { app: web } }
  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: c, image: nginx }] } }
`,
  };
  if (where === 'placement') {
    files['policies/p.yaml'] = webPlacementYaml([`"*": { weight: ${weight} }`]);
  }
  return renderFleetText(files);
}

test('replica weights: a weight above MAX_WEIGHT is an error at the preferences, and no cluster gets a Deployment', () => {
  for (const [where, at] of [['placement', 'policies/p.yaml:6'], ['annotation', 'manifests/d.yaml:7']] as const) {
    const r = renderWeight('1e308', where);
    const errs = r.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(errs.map((f) => `${f.code} ${f.place?.file}:${f.place?.line}`), [`BadPreferences ${at}`], where);
    assert.match(errs[0]!.message, new RegExp(`clusters\\.\\*\\.weight must be at most ${MAX_WEIGHT} .*got 1e\\+308`), where);
    assert.deepEqual(r.clusters, [], where);
  }
  const ok = renderWeight(String(MAX_WEIGHT), 'placement');
  assert.deepEqual(ok.findings.filter((f) => f.severity === 'error'), []);
  for (const c of ok.clusters) assert.equal((c.objects.find((o) => o.kind === 'Deployment')!.spec as { replicas: number }).replicas, 5, c.cluster);
});

test('replica weights: the planner splits huge weights by their ratio, never into NaN', () => {
  const base: PlanInput = { total: 10, preferences: { rebalance: false, clusters: {} }, clusters: ['a', 'b'], current: {}, capacity: {}, workloadKey: 'shop/web' };
  const plan = (weights: Record<string, number>, total = 10) => planReplicas({
    ...base, total, preferences: { rebalance: false, clusters: Object.fromEntries(Object.entries(weights).map(([c, weight]) => [c, { weight, minReplicas: 0, maxReplicas: null }])) },
  });
  assert.deepEqual(plan({ '*': 1e308 }), { plan: { a: 5, b: 5 }, overflow: {}, unplaced: 0 });
  assert.deepEqual(plan({ a: Number.MAX_VALUE, b: Number.MAX_VALUE / 4 }).plan, { a: 8, b: 2 });
  assert.deepEqual(plan({ '*': Number.POSITIVE_INFINITY }).plan, { a: 5, b: 5 });
  assert.deepEqual(plan({ a: 1e308, b: Number.NaN }).plan, { a: 10, b: 0 }, 'NaN weighs nothing');
  const huge = plan({ '*': 1e6 }, 1e300);
  assert.ok(Object.values(huge.plan).every(Number.isFinite), JSON.stringify(huge));
});
