// "A paused cluster: its backend turns UNHEALTHY in the next status commit,
// and doctor says which and why." The sandbox runs with the Compute Engine
// stand-in and GLBC's stand-in (`--gce`), `gitfed run --gce-endpoint` commits
// status to the real git server, and one cluster is paused (SIGSTOP of its
// apiserver, controllers and hollow nodes): nobody in it can report anything,
// yet Google's probes of its nodes would fail, and so do the stand-in's.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../../operator/cli/main.js';
import { CLUSTERS, fleetRepo, statusFile } from '../helpers/fleet-repo.js';
import { clusterState as stateOf, sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };
const PAUSED = 'europe-west1';
const work = await mkdtemp(join(tmpdir(), 'gitfed-gce-paused-'));
let operator: ChildProcess | undefined;
let stderr = '';
after(async () => {
  operator?.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, { out: (t) => { out += `${t}\n`; }, err: (t) => { out += `${t}\n`; }, cwd: process.cwd(), env: process.env });
  return { code, out };
}

type Shard = { cluster: string; gce?: { state: string; reason?: string; backendService: string } };
const byCluster = (shards: Shard[]) => Object.fromEntries(shards.map((s) => [s.cluster, s.gce?.state ?? '-']));

test('a paused cluster: its backend turns UNHEALTHY in the next status commit (the others stay HEALTHY), doctor names it and why; resumed, HEALTHY again', async (t) => {
  const sb = await sandbox({ gce: true });
  assert.ok(sb.compute, 'the sandbox runs the compute stand-in');
  const ns = uniqueNamespace('paused');
  const repo = await fleetRepo(sb, work, 'gce-paused', ns, {
    replicas: 3,
    // The sandbox's stand-ins build into project gitfed-demo, in the sample fleet's zones.
    files: { 'clusters/clusters.yaml': CLUSTERS.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'gitfed-demo', zone: ZONES[c] } } })) },
  });
  operator = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '2s', '--gce-endpoint', sb.compute.url,
    '--work-dir', join(work, 'op'), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  operator.stderr!.on('data', (d) => { stderr = (stderr + String(d)).slice(-4000); });
  const ingress = () => statusFile(work, repo.url, `ingresses/${ns}/web.yaml`);
  /** For a failure message: what each cluster itself says (nodes, the fleet's Pods and EndpointSlices). */
  const clusterState = () => stateOf(sb, CLUSTERS, ns);
  const healthy = await waitUntil('every cluster HEALTHY in a status commit', 240_000, async () => {
    const s = byCluster(ingress().shards);
    return CLUSTERS.every((c) => s[c] === 'HEALTHY') && s;
  }, 1000).catch((e) => { throw new Error(`${(e as Error).message}\noperator stderr: ${stderr}\n${clusterState()}`); });
  assert.deepEqual(healthy, { 'us-east1': 'HEALTHY', 'europe-west1': 'HEALTHY', 'asia-east1': 'HEALTHY' });

  sb.faults.pauseCluster(PAUSED);
  const pausedAt = Date.now();
  try {
    const paused = await waitUntil(`${PAUSED} UNHEALTHY in a status commit`, 180_000, async () => {
      const shards: Shard[] = ingress().shards;
      // ...and says why: the cluster does not answer (not the firewall, though its last endpoint counts were ready).
      return byCluster(shards)[PAUSED] === 'UNHEALTHY' && /^the cluster is not Ready/.test(shards.find((x) => x.cluster === PAUSED)?.gce?.reason ?? '') && shards;
    }, 1000);
    assert.deepEqual(byCluster(paused), { 'us-east1': 'HEALTHY', 'europe-west1': 'UNHEALTHY', 'asia-east1': 'HEALTHY' });
    t.diagnostic(`${PAUSED} UNHEALTHY in a status commit ${((Date.now() - pausedAt) / 1000).toFixed(1)} s after the pause`);
    const doctor = await cli(['doctor', repo.clone, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', sb.compute.url]);
    assert.equal(doctor.code, 1, doctor.out);
    // Which: the cluster and its backend; why: it does not answer, and Google's probes of its nodes fail.
    assert.match(doctor.out, new RegExp(`FAIL cluster +cluster ${PAUSED} is Offline \\(ClusterNotReachable\\)`));
    assert.match(doctor.out, new RegExp(`FAIL gce-backend Ingress ${ns}/web in ${PAUSED}: backend k8s-be-\\d+--\\w+ UNHEALTHY 0/\\d+ .*Google sends this cluster no traffic`));
    for (const c of CLUSTERS.filter((x) => x !== PAUSED)) assert.match(doctor.out, new RegExp(`OK   gce-backend Ingress ${ns}/web in ${c}: backend k8s-be-\\d+--\\w+ HEALTHY`));
    // The stand-in's own word for why (Google's getHealth carries no reason).
    const rows = ((await (await fetch(`${sb.compute.url}/_standin/health`)).json()) as { health: Array<{ group: string; state: string; reason?: string }> }).health;
    const mine = rows.filter((r) => r.group.includes(`/zones/${ZONES[PAUSED]}/`));
    assert.ok(mine.length > 0 && mine.every((r) => r.state === 'UNHEALTHY' && /the nodes of cluster europe-west1 do not answer/.test(r.reason ?? '')), JSON.stringify(mine));
  } finally {
    sb.faults.resumeCluster(PAUSED);
  }
  const resumedAt = Date.now();
  const back = await waitUntil(`${PAUSED} HEALTHY again in a status commit`, 240_000, async () => {
    const s = byCluster(ingress().shards);
    return CLUSTERS.every((c) => s[c] === 'HEALTHY') && s;
  }, 1000).catch((e) => { throw new Error(`${(e as Error).message}\noperator stderr: ${stderr}\n${clusterState()}`); });
  assert.deepEqual(back, { 'us-east1': 'HEALTHY', 'europe-west1': 'HEALTHY', 'asia-east1': 'HEALTHY' });
  t.diagnostic(`${PAUSED} HEALTHY again in a status commit ${((Date.now() - resumedAt) / 1000).toFixed(1)} s after the resume`);
});
