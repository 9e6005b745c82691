// Names and kinds that are paths: an Override renaming an object to
// `../../x`, a manifest of `kind: Foo/../../x`, and `gitfed run --status-dir`
// pointed at the checkout itself. Every output path must be built from
// validated names only: render refuses (exit 1, nothing written), the
// operator refuses the status dir (exit 2), and nothing outside OUT or inside
// the checkout is written or deleted.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { listTree } from '../file-tree.js';
import { fleetDef, override, writeFleetDir } from '../fleet-dir.js';
import { git } from '../fleet-repo.js';
import { cliCrashed, runGitfed } from '../gitfed-process.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';
import { withViews } from '../cluster-view.js';

/** A path render may write under OUT: <cluster>/<namespace or _cluster>/<kind>-<name>.yaml, or allocations.yaml. */
const RENDERED = /^(allocations\.yaml|[a-z0-9-]+\/?|[a-z0-9-]+\/[a-z0-9-_]+\/?|[a-z0-9-]+\/[a-z0-9-_]+\/[a-z0-9]+-[a-z0-9]([-a-z0-9.]*[a-z0-9])?\.yaml)$/;

/** `gitfed render FLEET --out OUT` with hostile manifests; counts files written outside OUT or at a place no valid name leads to. */
async function renderAttack(env: FaultEnv, id: string, manifests: (ns: string) => Record<string, unknown[]>): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, id);
  try {
    const def = fleetDef(env, uniqueName(`f-${id}`));
    await writeFleetDir(join(dir, 'fleet'), def, manifests(def.ns));
    // OUT sits three levels down, so a path that climbs out of it stays inside this scratch directory.
    const area = join(dir, 'area');
    const out = join(area, 'a', 'b', 'out');
    await mkdir(join(area, 'a', 'b'), { recursive: true });
    const before = await listTree(area);
    const r = await runGitfed(env.root, ['render', join(dir, 'fleet'), '--out', out]);
    outcome.crashed = cliCrashed(r, [0, 1]);
    if (r.code === 0) outcome.notes.push('render accepted it (exit 0)');
    const written = (await listTree(area)).filter((p) => !before.includes(p));
    const outsideFiles = written.filter((p) => !p.endsWith('/') && !p.startsWith('a/b/out/'));
    const misplaced = written.filter((p) => !p.endsWith('/') && p.startsWith('a/b/out/') && !RENDERED.test(p.slice('a/b/out/'.length)));
    outcome.unsafe = outsideFiles.length + misplaced.length;
    if (outsideFiles.length) outcome.notes.push(`written outside OUT: ${outsideFiles.slice(0, 2).map((p) => p.replace(/^a\/b\//, 'OUT/../')).join(', ')}`);
    if (misplaced.length) outcome.notes.push(`written at a path built from the name: ${misplaced.slice(0, 2).map((p) => `OUT/${p.slice('a/b/out/'.length)}`).join(', ')}`);
    return outcome;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function overrideNameAttack(env: FaultEnv, name: string): Promise<FaultOutcome> {
  return renderAttack(env, 'override-name', (ns) => ({
    'manifests/app.yaml': [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'victim', namespace: ns }, data: { a: 'b' } }],
    'policies/overrides.yaml': [override({ name: ns, ns, clusters: { [env.a.name]: '', [env.b.name]: '' } }, { kind: 'ConfigMap', name: 'victim', namespace: ns }, [{ op: 'replace', path: '/metadata/name', value: name }])],
  }));
}

export function kindPathAttack(env: FaultEnv, kind: string): Promise<FaultOutcome> {
  return renderAttack(env, 'kind-path', (ns) => ({
    'manifests/foo.yaml': [{ apiVersion: 'faults.example.com/v1', kind, metadata: { name: 'y', namespace: ns }, spec: {} }],
  }));
}

/** `gitfed run --dir . --status-dir <dir> --once` from inside a git checkout of the fleet: nothing of the checkout may go. */
export async function statusDirAttack(env: FaultEnv, statusDir: string): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'status-dir');
  const def = fleetDef(env, uniqueName('f-sdir'));
  try {
    const checkout = join(dir, 'checkout');
    await writeFleetDir(checkout, def, { 'manifests/app.yaml': [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: def.ns }, data: { a: 'b' } }] });
    git(dir, 'init', '-q', '-b', 'main', checkout);
    git(checkout, 'add', '-A');
    git(checkout, 'commit', '-q', '-m', 'fleet');
    const kubeconfig = await writeKubeconfig(dir, [env.a, env.b]);
    const before = (await listTree(checkout)).filter((p) => !p.endsWith('/'));
    const r = await runGitfed(env.root, ['run', '--dir', '.', '--status-dir', statusDir, '--kubeconfig', kubeconfig, '--once', '--listen', '127.0.0.1:0', '--log-format', 'json'], { cwd: checkout });
    outcome.crashed = cliCrashed(r, [0, 1, 2]);
    if (r.code !== 2) outcome.notes.push(`run exited ${r.code} (want 2: the status dir refused)`);
    const after = new Set(await listTree(checkout));
    const gone = before.filter((p) => !after.has(p));
    outcome.unsafe = gone.length;
    if (gone.length) outcome.notes.push(`${gone.length} file(s) of the checkout deleted, e.g. ${gone.slice(0, 2).join(', ')}`);
    return outcome;
  } finally {
    await withViews([env.a, env.b], async (views) => { for (const v of views) await v.delete(`/api/v1/namespaces/${def.ns}`).catch(() => undefined); });
    await rm(dir, { recursive: true, force: true });
  }
}
