// Golden output of `gitfed render` on the project's sample fleet: what a
// reviewer diffs. Regenerate after an intended change with
// UPDATE_GOLDEN=1 npm test, and review the diff of test/golden/.
import { DEMO_AGE_IDENTITY } from '../../operator/sandbox/demo-age-key.js';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, cp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesUnder } from '../helpers/file-tree.js';
import { test } from 'node:test';
import { main } from '../../operator/cli/main.js';

const GOLDEN = join(process.cwd(), 'test', 'golden', 'sample-fleet');
// The sample fleet's tls-secret is encrypted to the PUBLIC demo key.
const env = { ...process.env, SOPS_AGE_KEY: DEMO_AGE_IDENTITY };


test('render golden: the sample fleet renders exactly the reviewed files', async () => {
  const out = await mkdtemp(join(tmpdir(), 'gitfed-golden-'));
  try {
    let printed = '';
    const code = await main(['render', '.', '--out', out], { out: (t) => { printed += t + '\n'; }, err: (t) => { printed += t + '\n'; }, cwd: process.cwd(), env });
    assert.equal(code, 0, printed);
    assert.match(printed, /us-east1 +6 objects {2}0 blocked {2}replicas: nginx=1[67]/);
    if (process.env.UPDATE_GOLDEN) {
      await rm(GOLDEN, { recursive: true, force: true });
      await mkdir(GOLDEN, { recursive: true });
      await cp(out, GOLDEN, { recursive: true });
    }
    const want = await filesUnder(GOLDEN);
    assert.deepEqual(await filesUnder(out), want);
    for (const f of want) assert.equal(await readFile(join(out, f), 'utf8'), await readFile(join(GOLDEN, f), 'utf8'), f);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('render golden: a second render with the written allocations is identical (stable across revisions)', async () => {
  const a = await mkdtemp(join(tmpdir(), 'gitfed-golden-'));
  const b = await mkdtemp(join(tmpdir(), 'gitfed-golden-'));
  const io = { out: () => undefined, err: () => undefined, cwd: process.cwd(), env };
  try {
    assert.equal(await main(['render', '.', '--out', a], io), 0);
    assert.equal(await main(['render', '.', '--out', b, '--allocations', join(a, 'allocations.yaml')], io), 0);
    for (const f of await filesUnder(a)) assert.equal(await readFile(join(b, f), 'utf8'), await readFile(join(a, f), 'utf8'), f);
  } finally {
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  }
});

test('render: a broken fleet writes nothing and exits 1 with file:line', async () => {
  const fleet = await mkdtemp(join(tmpdir(), 'gitfed-broken-'));
  const out = join(fleet, 'out');
  let err = '';
  try {
    await cp(join(process.cwd(), 'clusters'), join(fleet, 'clusters'), { recursive: true });
    await mkdir(join(fleet, 'manifests'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(fleet, 'manifests', 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n');
    const code = await main(['render', fleet, '--out', out], { out: () => undefined, err: (t) => { err += t + '\n'; }, cwd: process.cwd(), env: process.env });
    assert.equal(code, 1);
    assert.match(err, /^manifests\/bad\.yaml:\d+:\d+: error: YAML syntax error/m);
    assert.deepEqual(await readdir(fleet), ['clusters', 'manifests'], 'no output directory');
  } finally {
    await rm(fleet, { recursive: true, force: true });
  }
});
