// --dir mode over the file limit: an error, nothing applied. Reading only the
// first N files would load a partial fleet, which --prune turns into deletions.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { DEFAULT_LIMITS } from '../../operator/load/index.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { dirEnds } from '../../operator/loop/sources.js';
import { admin, CLUSTERS } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-dirlimit-'));
after(() => rm(work, { recursive: true, force: true }));

const put = async (dir: string, file: string, objects: unknown[]) => {
  await mkdir(join(dir, file, '..'), { recursive: true });
  await writeFile(join(dir, file), objects.map((o) => stringify(o)).join('---\n'));
};
const cm = (ns: string, name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: name } });

test('operator --dir: one file over the limit is an error; nothing is applied and --prune deletes nothing', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('limit');
  const dir = join(work, 'fleet');
  await put(dir, 'clusters/c.yaml', [
    ...CLUSTERS.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { provider: 'other' } })),
    { apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: `fleet-${ns}` } },
  ]);
  await put(dir, 'manifests/b-ns.yaml', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]);
  await put(dir, 'manifests/c-extra.yaml', [cm(ns, 'extra')]);
  const ends = dirEnds(dir, join(dir, '.gitfed-status'), { ...DEFAULT_LIMITS, maxFiles: 3 });
  const op = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, limits: { ...DEFAULT_LIMITS, maxFiles: 3 }, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), probeTimeoutMs: 2000 });
  const exists = async (name: string) => Promise.all(sb.clusters.map(async (c) => {
    const h = admin(sb, c.name);
    try { return (await h.request({ path: `/api/v1/namespaces/${ns}/configmaps/${name}` })).status === 200; } finally { h.close(); }
  }));
  try {
    const first = await op.tick();
    assert.equal(first.applied, true, first.error ?? first.notApplied);
    assert.deepEqual(await exists('extra'), [true, true, true]);
    // A 4th file sorts first: reading only 3 would drop c-extra.yaml, and prune would delete ConfigMap extra.
    await put(dir, 'manifests/a-new.yaml', [cm(ns, 'new')]);
    const r = await op.tick();
    assert.equal(r.applied, false);
    assert.match(r.notApplied ?? '', /TooManyFiles|more than 3 files/);
    assert.deepEqual(await exists('extra'), [true, true, true], 'nothing pruned');
    assert.deepEqual(await exists('new'), [false, false, false], 'nothing applied');
  } finally {
    op.close();
  }
});
