// kind: RolloutPolicy as users write it (the issue's format is a contract):
// given a fleet file, the loader types it with defaults that gate something,
// and every mistake is an error at its line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAllocations } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { formatFinding, loadFleetFiles } from '../../operator/load/index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const CLUSTERS = ['asia-east1', 'europe-west1', 'us-east1'].map((n) => `apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: ${n} }\nspec: { gce: { project: p, zone: ${n}-a } }\n`).join('---\n');
const load = (policy: string) => loadFleetFiles([{ path: 'clusters/c.yaml', content: enc(CLUSTERS) }, { path: 'policies/rollout.yaml', content: enc(policy) }]);

const ISSUE_EXAMPLE = `apiVersion: gitfed.io/v1alpha1
kind: RolloutPolicy
metadata: { name: default }
spec:
  waves:                                   # in order; a cluster in no wave goes last
    - name: canary
      clusters: { names: [asia-east1] }    # or matchLabels / matchExpressions
      bake: 2m                             # gates must hold this long without a break
      approval: false                      # true: wait for \`gitfed rollout approve\`
    - name: rest
      clusters: { matchLabels: {} }
      maxUnavailable: 1                    # clusters of this wave changed at once (default 1, never "all")
  gates:                                   # all must hold in every cluster of the wave
    readyReplicas: true
    readyEndpoints: true
    backendHealth: true
    prometheus:
      url: http://prometheus.monitoring:9090
      query: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))'
      max: 0.01
  progressDeadline: 10m                    # a wave that does not pass in time has failed
  onFailure: revert                        # revert | pause
  paused: false
`;

test("RolloutPolicy: the issue's example loads as written", () => {
  const r = load(ISSUE_EXAMPLE);
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map(formatFinding), []);
  const p = r.fleet.rolloutPolicy!;
  assert.deepEqual(p.waves.map((w) => [w.name, w.bakeMs, w.approval, w.maxUnavailable]), [['canary', 120_000, false, 1], ['rest', 0, false, 1]]);
  assert.deepEqual(p.waves[0]!.clusters.names, ['asia-east1']);
  assert.equal(p.progressDeadlineMs, 600_000);
  assert.equal(p.gates.prometheus!.max, 0.01);
  assert.equal(p.onFailure, 'revert');
});

test('RolloutPolicy: mistakes are errors at their line', () => {
  const cases: Array<[string, RegExp, number]> = [
    [ISSUE_EXAMPLE.replace('bake: 2m', 'bake: soon'), /spec\.waves\.0\.bake must be a duration/, 8],
    [ISSUE_EXAMPLE.replace('maxUnavailable: 1 ', 'maxUnavailable: 0 '), /maxUnavailable must be a whole number of clusters >= 1/, 12],
    [ISSUE_EXAMPLE.replace('onFailure: revert', 'onFailure: retry'), /spec\.onFailure must be revert or pause/, 22],
    [ISSUE_EXAMPLE.replace('names: [asia-east1]', 'names: [asia-east9]'), /wave canary names cluster "asia-east9", which is not registered/, 7],
    [ISSUE_EXAMPLE.replace('- name: rest', '- name: canary'), /wave "canary" is defined twice/, 10],
  ];
  for (const [text, message, line] of cases) {
    // Cross-object checks (a wave naming an unknown cluster) run with the render, as in `gitfed validate`.
    const loaded = load(text);
    const errors = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings }).findings.filter((f) => f.severity === 'error');
    const hit = errors.find((f) => message.test(f.message));
    assert.ok(hit, `${message} in ${errors.map(formatFinding).join('\n')}`);
    assert.equal(hit!.place?.line, line, formatFinding(hit!));
  }
});

test('RolloutPolicy: defaults gate something (maxUnavailable 1, a 10m deadline, revert, ready replicas and endpoints)', () => {
  const p = load('apiVersion: gitfed.io/v1alpha1\nkind: RolloutPolicy\nmetadata: { name: d }\nspec:\n  waves: [{ name: all, clusters: { matchLabels: {} } }]\n').fleet.rolloutPolicy!;
  assert.deepEqual([p.waves[0]!.maxUnavailable, p.progressDeadlineMs, p.onFailure, p.gates.readyReplicas, p.gates.readyEndpoints, p.gates.backendHealth], [1, 600_000, 'revert', true, true, false]);
});
