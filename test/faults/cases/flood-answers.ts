// Cluster B's owned-ConfigMap LIST (and watch) answered with a body that
// never ends (HTTP 200, JSON-looking bytes with no newline and no closing
// bracket, as fast as they are read), as a lying apiserver or a broken proxy
// could. An answer buffered without a bound ran gitfed out of memory or past
// the longest string V8 allows, an uncaught exception that took every
// cluster down with B. Now the answer is cut at its bound: B's observation
// fails with an error that says so, and cluster A is applied as usual.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withViews } from '../cluster-view.js';
import { scratch, uniqueName, type FaultEnv } from '../env.js';
import { fleetDef, writeFleetDir } from '../fleet-dir.js';
import { cliCrashed, runGitfed } from '../gitfed-process.js';
import { startApiserverProxy } from '../injectors/apiserver-proxy.js';
import { writeKubeconfig } from '../kubeconfigs.js';
import { newOutcome, type FaultOutcome } from '../outcome.js';

export async function floodedList(env: FaultEnv): Promise<FaultOutcome> {
  const outcome = newOutcome();
  const dir = await scratch(env, 'flood');
  const def = fleetDef(env, uniqueName('f-flood'));
  const clusters = [env.a, env.b];
  const proxy = await startApiserverProxy(env.sb, env.b);
  try {
    const fleet = await writeFleetDir(join(dir, 'fleet'), def, {
      'manifests/app.yaml': [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: def.ns } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: def.ns }, data: { a: '1' } },
      ],
    });
    proxy.setRule((r) => (r.method === 'GET' && r.path.startsWith('/api/v1/configmaps') ? { status: 200, body: 'flood' } : undefined));
    const kubeconfig = await writeKubeconfig(dir, clusters, { [env.b.name]: proxy.url });
    const r = await runGitfed(env.root, ['run', '--dir', fleet, '--status-dir', join(dir, 'status'), '--kubeconfig', kubeconfig, '--once', '--listen', '127.0.0.1:0', '--log-format', 'json'], { timeoutMs: 120_000 });
    outcome.crashed = cliCrashed(r, [0, 1]);
    if (outcome.crashed) outcome.notes.push(`exit ${r.code}: ${r.stderr.split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 300)}`);
    if (proxy.faulted() === 0) outcome.problems.push('fault not exercised: gitfed never listed ConfigMaps in B');
    // The error names the bound, not a timeout: the answer was cut, not waited out.
    if (!outcome.crashed && !/larger than 128 MiB/.test(r.stdout + r.stderr)) outcome.problems.push(`B's error does not say the answer was too large: ${(r.stdout + r.stderr).split('\n').filter((l) => l.includes(env.b.name)).slice(-1)[0]?.slice(0, 300) ?? 'no line names B'}`);
    await withViews([env.a], async ([a]) => {
      outcome.lost += (await a!.missing([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: def.ns, name: 'settings' }])).length;
    });
    return outcome;
  } finally {
    await proxy.close();
    await withViews(clusters, async (views) => { for (const v of views) await v.delete(`/api/v1/namespaces/${def.ns}`).catch(() => undefined); });
    await rm(dir, { recursive: true, force: true });
  }
}
