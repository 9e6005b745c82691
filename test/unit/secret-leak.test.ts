// A value planted in a SOPS-encrypted Secret goes through load -> render ->
// (a result as a dry run or a tick would have it, with a changed value and
// drift) -> everything gitfed writes or prints: status files and commit
// message (also the git note's text), the plan (JSON, text, Markdown),
// --output json of apply/status, render's files. The value appears in none
// of them; its changes appear as sha256 hashes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { stringify } from 'yaml';
import { detectDrift } from '../../operator/cluster/drift.js';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { keyOf, refOf } from '../../operator/core/object-keys.js';
import { emptyAllocations, type KubeObject } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { renderedFiles } from '../../operator/cli/render.js';
import { loadFleet } from '../../operator/load/index.js';
import { buildPlan } from '../../operator/report/plan-document.js';
import { planMarkdown } from '../../operator/report/plan-markdown.js';
import { clusterDiff, planText } from '../../operator/report/plan-text.js';
import { maskResult, valueHash } from '../../operator/report/secret-values.js';
import { commitMessage, statusFiles } from '../../operator/report/status-tree.js';
import { sopsEncryptYaml } from '../helpers/sops-writer.js';

const PLANTED = 'planted-tls-key-0d9e2b7c';
const PLANTED_B64 = Buffer.from(PLANTED).toString('base64');
const LIVE_B64 = Buffer.from('the-old-key-in-the-cluster').toString('base64');
const enc = (s: string) => new TextEncoder().encode(s);

test('a planted Secret value is nowhere in what gitfed writes; its changes show as hashes', async () => {
  const identity = await generateX25519Identity();
  const secretFile = await sopsEncryptYaml({
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-secret', namespace: 'web' }, type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from('cert').toString('base64'), 'tls.key': PLANTED_B64 }, stringData: { password: PLANTED },
  }, await identityToRecipient(identity));
  assert.ok(!secretFile.includes(PLANTED) && !secretFile.includes(PLANTED_B64));
  const loaded = await loadFleet([
    { path: 'clusters/a.yaml', content: enc('apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: a }\nspec: { provider: other }\n') },
    { path: 'manifests/tls.yaml', content: enc(secretFile) },
  ], { age: { env: { SOPS_AGE_KEY: identity } } });
  assert.deepEqual(loaded.findings.filter((f) => f.severity === 'error'), []);
  assert.equal(loaded.fleet.manifests[0]!.encrypted, true);

  const rendered = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings });
  const secret = rendered.clusters[0]!.objects.find((o) => o.kind === 'Secret') as KubeObject & { data: Record<string, string> };
  assert.equal(secret.data['tls.key'], PLANTED_B64, 'the applied object carries the real value');

  // The cluster holds another value: an update in a plan, drift in a tick.
  const live = { ...secret, data: { ...secret.data, 'tls.key': LIVE_B64 }, stringData: undefined } as unknown as KubeObject;
  const drift = detectDrift('a', [secret], new Map([[keyOf(refOf(secret)), live]]), new Set(), []);
  assert.ok(drift.length === 1 && drift[0]!.fields.length > 0, JSON.stringify(drift));
  const cluster: ClusterResult = {
    cluster: 'a', health: 'Ready', reason: 'ClusterReady', message: '', pruned: [], blocked: [], drift, errors: [],
    objects: [{ ref: refOf(secret), action: 'updated', diff: [{ path: ['data', 'tls.key'], have: LIVE_B64, want: PLANTED_B64 }, { path: ['stringData'], have: undefined, want: { password: PLANTED } }] }],
    counts: { inSync: 0, changed: 1, drifted: 1, missing: 0, failed: 0, blocked: 0 }, endpoints: {},
  };
  const result: ReconcileResult = { clusters: [cluster], ingresses: [], replicas: [], allocations: emptyAllocations(), findings: loaded.findings, renderFailed: false };

  const plan = buildPlan(result, { head: 'a'.repeat(40), fleet: 'demo' });
  const status = { revision: 'a'.repeat(40), repo: 'https://git.example/fleet.git', branch: 'main', findings: loaded.findings, result, allocations: emptyAllocations() };
  const written: Record<string, string> = {
    ...Object.fromEntries(statusFiles(status)),
    'commit message and note': commitMessage(status),
    'plan.json': JSON.stringify(plan), 'PLAN.md': planMarkdown(plan), 'plan text': planText(plan).join('\n'), 'cluster diff': plan.clusters.map(clusterDiff).join('\n'),
    'apply/status --output json': JSON.stringify(maskResult(result)), 'apply/status --output yaml': stringify(maskResult(result)),
    ...Object.fromEntries([...renderedFiles({ ...rendered, clusters: rendered.clusters })].map(([k, v]) => [`render ${k}`, v])),
  };
  for (const [name, text] of Object.entries(written)) {
    for (const leak of [PLANTED, PLANTED_B64, LIVE_B64, identity]) assert.ok(!text.includes(leak), `${name} holds a secret: ${text}`);
  }
  assert.ok(written['drift.yaml']!.includes(valueHash(PLANTED_B64)) && written['drift.yaml']!.includes(valueHash(LIVE_B64)), written['drift.yaml']);
  assert.ok(written['cluster diff']!.includes(`-     data.tls.key: "${valueHash(LIVE_B64)}"\n+     data.tls.key: "${valueHash(PLANTED_B64)}"`), written['cluster diff']);
  assert.match(written['README.md']!, /sha256:[0-9a-f]{12}/, 'the status README shows the drifted field as hashes');
});
