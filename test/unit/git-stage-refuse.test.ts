// `run --shards` cannot drive RolloutPolicy waves: a revision with a policy
// is refused like a revision with load errors (not pending, never applied;
// the error names the policy's file and line), and the next revision without
// it is taken. Fake source and sink: this is the git stage alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GitStage } from '../../operator/loop/git-stage.js';
import { createLogger } from '../../operator/loop/logger.js';
import { rolloutPolicyWithShards, type RevisionSource, type StatusSink } from '../../operator/loop/operator.js';
import { formatFinding } from '../../operator/load/index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const cluster = { path: 'clusters/c.yaml', content: enc('apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { provider: other }\n') };
const cm = { path: 'manifests/cm.yaml', content: enc('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: default }\ndata: { k: v }\n') };
const policy = { path: 'policies/rollout.yaml', content: enc('# waves\napiVersion: gitfed.io/v1alpha1\nkind: RolloutPolicy\nmetadata: { name: careful }\nspec:\n  waves:\n    - name: canary\n      clusters: { names: [c1] }\n') };
const revisions: Record<string, Array<{ path: string; content: Uint8Array }>> = {
  ['a'.repeat(40)]: [cluster, cm, policy],
  ['b'.repeat(40)]: [cluster, cm],
};

function stage(refuse: boolean) {
  let head = 'a'.repeat(40);
  const source: RevisionSource = { describe: 'fake', branch: 'main', head: async () => head, files: async (rev) => ({ files: revisions[rev]!, findings: [] }) };
  const sink: StatusSink = { read: async () => undefined, write: async () => ({ committed: true }) };
  const git = new GitStage({
    source, sink, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), onAllocations: () => undefined,
    ...(refuse ? { refuse: rolloutPolicyWithShards } : {}),
  });
  return { git, setHead: (h: string) => { head = h; } };
}

test('sharded git stage: a revision with a RolloutPolicy is refused at the policy\'s file:line; the next one without it is taken', async () => {
  const { git, setHead } = stage(true);
  await git.run(false, () => undefined);
  const pending = () => git.pending;
  assert.equal(pending(), undefined, 'never pending, so never applied');
  const errors = git.headFindings.filter((f) => f.severity === 'error').map(formatFinding);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /^policies\/rollout\.yaml:2/);
  assert.match(errors[0]!, /RolloutPolicy careful cannot be driven by a sharded operator/);
  setHead('b'.repeat(40));
  await git.run(false, () => undefined);
  assert.equal(pending()?.revision, 'b'.repeat(40));
});

test('unsharded git stage: the same revision with its RolloutPolicy is taken', async () => {
  const { git } = stage(false);
  await git.run(false, () => undefined);
  assert.equal(git.pending?.revision, 'a'.repeat(40));
  assert.equal(git.pending?.fleet.rolloutPolicy?.name, 'careful');
});
