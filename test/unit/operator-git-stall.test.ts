// A git server that accepts and never answers must not stop healing: a tick
// with a last good revision waits for git only briefly, heals the clusters
// from that revision, writes no status (it would wait for the same server),
// and the fetch still in flight is taken up by the first tick after it
// settles. Fake source and sink; the one cluster has no kubeconfig context,
// so no apiserver is needed (the fault suite runs the real git server stall).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import type { RevisionSource, StatusSink } from '../../operator/loop/operator-types.js';

const dir = await mkdtemp(join(tmpdir(), 'gitfed-stall-'));
after(() => rm(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'kubeconfig');
await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
const enc = (s: string) => new TextEncoder().encode(s);
const cluster = { path: 'clusters/c.yaml', content: enc('apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { provider: other }\n') };
const revisions: Record<string, { path: string; content: Uint8Array }[]> = {
  ['a'.repeat(40)]: [cluster, { path: 'manifests/cm.yaml', content: enc('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: default }\ndata: { k: v1 }\n') }],
  ['b'.repeat(40)]: [cluster, { path: 'manifests/cm.yaml', content: enc('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: default }\ndata: { k: v2 }\n') }],
};

test('operator: with git silent, a tick heals the last good revision within the git wait, writes no status, and takes the new revision once git answers', async () => {
  let head = 'a'.repeat(40);
  let stalled: ((rev: string) => void) | undefined;
  let stall = false;
  const writes: string[] = [];
  const source: RevisionSource = {
    describe: 'fake', branch: 'main',
    head: () => (stall ? new Promise<string>((r) => { stalled = r; }) : Promise.resolve(head)),
    files: async (rev) => ({ files: revisions[rev]!, findings: [] }),
  };
  const sink: StatusSink = { read: async () => undefined, write: async (_f, m) => { writes.push(m); return { committed: true }; } };
  const op = new Operator({ source, sink, kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), gitWaitMs: 50 });
  try {
    const first = await op.tick('test');
    assert.equal(first.applied, true, first.error);
    assert.equal(first.revision, 'a'.repeat(40));
    assert.equal(writes.length, 1);

    stall = true;
    const during = await op.tick('test');
    assert.match(during.gitError ?? '', /git has not answered within/);
    assert.ok(during.result, 'the clusters stage ran on the last good revision');
    assert.deepEqual(during.result.clusters.map((c) => c.cluster), ['c1']);
    assert.equal(during.statusCommitted, false);
    assert.equal(writes.length, 1, 'no status written while git is silent');
    // A second tick does not start a second fetch: it waits on the same one.
    const stalledFetch = stalled;
    await op.tick('test');
    assert.equal(stalled, stalledFetch, 'one fetch in flight, not one per tick');

    // Git answers at last, with a new head: the next tick applies it.
    stall = false;
    head = 'b'.repeat(40);
    stalled!(head);
    const later = await op.tick('test');
    assert.equal(later.gitError, undefined);
    assert.equal(later.revision, 'b'.repeat(40));
    assert.equal(later.applied, true, later.error);
    assert.equal(writes.length, 2, 'status written again once git answers');
  } finally {
    op.close();
  }
});

test('operator: with nothing applied yet a tick waits for git however long it takes (nothing to heal without it)', async () => {
  let answer: ((rev: string) => void) | undefined;
  const source: RevisionSource = { describe: 'fake', branch: 'main', head: () => new Promise<string>((r) => { answer = r; }), files: async (rev) => ({ files: revisions[rev]!, findings: [] }) };
  const sink: StatusSink = { read: async () => undefined, write: async () => ({ committed: true }) };
  const op = new Operator({ source, sink, kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), gitWaitMs: 10 });
  try {
    const tick = op.tick('test');
    let done = false;
    void tick.then(() => { done = true; });
    // Wait for a condition (the fetch was asked for), then well past gitWaitMs.
    while (!answer) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false, 'the first tick still waits for git');
    answer('a'.repeat(40));
    const r = await tick;
    assert.equal(r.applied, true, r.error);
  } finally {
    op.close();
  }
});

test('operator: a webhook during a stalled fetch asks git again after it (that fetch began before the push), directly, and the new revision is applied', async () => {
  let stalled: ((rev: string) => void) | undefined;
  let stall = false;
  let head = 'a'.repeat(40);
  const asked: string[] = [];
  const source: RevisionSource = {
    describe: 'fake', branch: 'main',
    head: (push) => { asked.push(push ? 'pushed' : 'plain'); return stall ? new Promise<string>((r) => { stalled = r; }) : Promise.resolve(head); },
    files: async (rev) => ({ files: revisions[rev]!, findings: [] }),
  };
  const sink: StatusSink = { read: async () => undefined, write: async () => ({ committed: true }) };
  const op = new Operator({ source, sink, kubeconfig, prune: false, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), gitWaitMs: 50 });
  try {
    assert.equal((await op.tick('interval')).revision, 'a'.repeat(40));
    stall = true;
    assert.match((await op.tick('interval')).gitError ?? '', /git has not answered within/);
    // The push lands; its webhook (delivered twice) arrives while the old fetch still hangs.
    stall = false;
    head = 'b'.repeat(40);
    assert.match((await op.tick('webhook', undefined, {})).gitError ?? '', /git has not answered within/);
    const webhook = op.tick('webhook', undefined, {});
    // The old fetch answers what the server said before the push.
    stalled!('a'.repeat(40));
    // The webhook tick waits gitWaitMs at most; on a busy machine the ticks after it take the fetch it queued.
    let r = await webhook;
    for (let i = 0; i < 1000 && r.revision !== 'b'.repeat(40); i++) r = await op.tick('interval');
    assert.equal(r.revision, 'b'.repeat(40), 'the push was fetched');
    assert.equal(r.applied, true, r.error);
    assert.deepEqual(asked, ['plain', 'plain', 'pushed'], 'one fetch after the stalled one, however many webhooks came meanwhile');
  } finally {
    op.close();
  }
});
