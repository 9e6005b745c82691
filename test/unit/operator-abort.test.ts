// Leadership lost mid-tick: the tick stops before its next write (no status
// commit, no note). Fake source and sink; the one cluster has no kubeconfig
// context, so no apiserver is needed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import type { RevisionSource, StatusSink } from '../../operator/loop/operator-types.js';

const dir = await mkdtemp(join(tmpdir(), 'gitfed-abort-'));
after(() => rm(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'kubeconfig');
await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
const files = [
  { path: 'clusters/c.yaml', content: new TextEncoder().encode('apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { provider: other }\n') },
  { path: 'manifests/cm.yaml', content: new TextEncoder().encode('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: default }\ndata: { k: v }\n') },
];

function fakes(onFiles: () => void) {
  const writes: string[] = [];
  const source: RevisionSource = { describe: 'fake', branch: 'main', head: async () => 'a'.repeat(40), files: async () => { onFiles(); return { files, findings: [] }; } };
  const sink: StatusSink = { read: async () => undefined, write: async (_f, m) => { writes.push(m); return { committed: true }; }, note: async (_r, t) => { writes.push(`note: ${t}`); } };
  return { source, sink, writes };
}

test('operator: a tick whose leadership is lost stops before writing status or notes, and the next term still applies that revision', async () => {
  const term = new AbortController();
  const { source, sink, writes } = fakes(() => term.abort(new Error('leadership lost')));
  const op = new Operator({ source, sink, kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics() });
  const r = await op.tick('leader', term.signal);
  assert.equal(r.aborted, true);
  assert.deepEqual(writes, [], 'nothing written after leadership was lost');
  // Leading again: the revision fetched in the aborted tick is not lost.
  const again = await op.tick('leader', new AbortController().signal);
  op.close();
  assert.equal(again.applied, true, again.error);
  assert.equal(writes.length, 2, 'status and note written');
});

test('operator: the same tick without losing leadership writes its status and note', async () => {
  const { source, sink, writes } = fakes(() => undefined);
  const op = new Operator({ source, sink, kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics() });
  const r = await op.tick('leader', new AbortController().signal);
  op.close();
  assert.equal(r.aborted, undefined, r.error);
  assert.equal(writes.length, 2, JSON.stringify(writes));
});
