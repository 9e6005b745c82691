// Hostile fleet input against the files gitfed writes: `gitfed render` must
// refuse it at file:line and write nothing, inside OUT or outside it; the
// status tree never builds a path from an unchecked name.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { filesUnder } from '../helpers/file-tree.js';
import { main } from '../../operator/cli/main.js';
import { renderedFiles } from '../../operator/cli/render.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { statusFiles } from '../../operator/report/status-tree.js';

const roots: string[] = [];
after(async () => { for (const r of roots) await rm(r, { recursive: true, force: true }); });

const CLUSTER = 'apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: a\nspec:\n  gce: { project: p, zone: z }\n';


async function renderAttack(files: Record<string, string>): Promise<{ code: number; err: string; before: string[]; after: string[] }> {
  // base/deep/er/fleet and base/deep/er/out: a "../" in a path has room to climb.
  const base = await mkdtemp(join(tmpdir(), 'gitfed-attack-'));
  roots.push(base);
  const work = join(base, 'deep', 'er');
  for (const [path, content] of Object.entries({ 'fleet/clusters/a.yaml': CLUSTER, ...files })) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
  }
  const before = await filesUnder(base);
  let err = '';
  const code = await main(['render', 'fleet', '--out', 'out'], { out: () => {}, err: (t) => { err += t + '\n'; }, cwd: work, env: {} });
  return { code, err, before, after: await filesUnder(base) };
}

const attacks: Array<{ name: string; files: Record<string, string>; error: RegExp }> = [
  {
    name: 'an Override renaming a ConfigMap into kube-system/ingress-uid',
    files: {
      'fleet/manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: innocent\n  namespace: shop\ndata: { uid: attacker0000001, provider-uid: x }\n',
      'fleet/policies/o.yaml': 'apiVersion: gitfed.io/v1alpha1\nkind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: innocent }]\n  patches:\n    - { op: replace, path: /metadata/name, value: ingress-uid }\n    - { op: replace, path: /metadata/namespace, value: kube-system }\n',
    },
    error: /policies\/o.yaml:8:7: error: Override o would replace \/metadata\/name: an Override may not rename[^\n]*\n[^]*policies\/o.yaml:9:7: error: Override o would replace \/metadata\/namespace/,
  },
  { name: 'a name ../../x', files: { 'fleet/manifests/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../x\n' }, error: /manifests\/x.yaml:4:3: error: .*"..\/..\/x" is not a valid name/ },
  { name: 'a kind Foo/../../x', files: { 'fleet/manifests/x.yaml': 'apiVersion: v1\nkind: Foo/../../x\nmetadata:\n  name: x\n' }, error: /manifests\/x.yaml:2:1: error: .*kind "Foo\/..\/..\/x" is not a kind/ },
  { name: 'a kind that climbs out of OUT (Foo/../../../../escaped)', files: { 'fleet/manifests/x.yaml': 'apiVersion: v1\nkind: Foo/../../../../escaped\nmetadata:\n  name: x\n  namespace: ns\n' }, error: /manifests\/x.yaml:2:1: error: .*is not a kind/ },
  { name: 'an Override renaming an object to ../../x', files: { 'fleet/manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\n', 'fleet/policies/o.yaml': 'apiVersion: gitfed.io/v1alpha1\nkind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: replace, path: /metadata/name, value: ../../x }\n' }, error: /policies\/o.yaml:8:7: error: .*may not rename/ },
];

for (const a of attacks) {
  test(`path attacks: gitfed render refuses ${a.name} and writes nothing anywhere`, async () => {
    const r = await renderAttack(a.files);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, a.error);
    assert.match(r.err, /nothing rendered/);
    assert.deepEqual(r.after, r.before, 'no file was written, inside OUT or outside it');
  });
}

test('path attacks: a name that is not one path segment never becomes a file path (render OUT, status tree)', () => {
  const evil = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '../../x', namespace: 'web' } };
  assert.throws(() => renderedFiles({ clusters: [{ cluster: 'a', objects: [evil], blocked: [] }], allocations: emptyAllocations(), replicas: [], findings: [] }), /refusing to build an output path from "..\/..\/x"/);
  assert.throws(() => renderedFiles({ clusters: [{ cluster: 'a', objects: [{ ...evil, kind: 'Foo/../../x', metadata: { name: 'x' } }], blocked: [] }], allocations: emptyAllocations(), replicas: [], findings: [] }), /not a single path segment/);
  const result = {
    clusters: [], replicas: [], allocations: emptyAllocations(), findings: [], renderFailed: false,
    ingresses: [{ ref: { kind: 'Ingress', namespace: 'web', name: '../../../x' }, addresses: [], shards: [] }],
  };
  assert.throws(() => statusFiles({ revision: 'r', repo: 'u', branch: 'main', findings: [], allocations: emptyAllocations(), result }), /refusing to build an output path/);
});

test('path attacks: a good fleet still renders into OUT only', async () => {
  const r = await renderAttack({ 'fleet/manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\n' });
  assert.equal(r.code, 0, r.err);
  const added = r.after.filter((f) => !r.before.includes(f));
  assert.deepEqual(added, ['deep/er/out/a/_cluster/namespace-shop.yaml', 'deep/er/out/a/kube-system/configmap-ingress-uid.yaml', 'deep/er/out/a/shop/configmap-c.yaml', 'deep/er/out/allocations.yaml']);
});
