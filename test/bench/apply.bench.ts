// Benchmark (issue 5): 10 clusters x 50 objects on real apiservers.
// Prints, in one run: gitfed cold apply, gitfed no-op, a `kubectl apply
// --server-side` loop over the same clusters, and a raw parallel PATCH floor;
// then a no-op reconcile of 1000 objects x 10 clusters with its write count.
// Targets: cold >= 10x faster than the kubectl loop and within 2x of the
// floor; no-op of 1000 x 10 in <= 200 ms with 0 writes. Asserts nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { closeAll, connect } from '../../operator/cluster/connect.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { reconcileFleet } from '../../operator/cluster/reconcile.js';
import { emptyAllocations, type Fleet, type KubeObject } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { startSandbox } from '../../operator/sandbox/index.js';
import { sourced } from '../helpers/fleet-builder.js';
import { floorPaths, kubectlLoop, patchFloor } from './apply-peers.js';
import { benchObjects } from './bench-objects.js';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 10);

function fleetOf(name: string, clusters: string[], objs: KubeObject[]): Fleet {
  return {
    settings: { name, allowPruneAll: false },
    clusters: clusters.map((c, i) => ({ name: c, labels: {}, context: c, provider: 'other', paused: false, place: { file: 'clusters/c.yaml', line: i + 1, col: 1 } })),
    placements: [], overrides: [], driftPolicies: [], manifests: objs.map((o) => sourced(o)),
  };
}

const sb = await startSandbox({ clusters: CLUSTERS, controllers: false });
const names = sb.clusters.map((c) => c.name);
const work = await mkdtemp(join(tmpdir(), 'gitfed-bench-'));
try {
  console.log(`apply bench: ${CLUSTERS} clusters (Kubernetes ${sb.version}), 50 objects each`);
  // gitfed cold + no-op
  const fleet = fleetOf('bench', names, benchObjects('bench-gitfed', 50));
  let t0 = performance.now();
  const cold = await reconcileFleet({ fleet, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all' });
  const coldMs = performance.now() - t0;
  const errs = cold.clusters.flatMap((c) => c.errors);
  if (errs.length) console.log('  errors:', errs.slice(0, 3));
  console.log(`  gitfed cold apply:            ${coldMs.toFixed(0)} ms`);
  const conns = await connect(sb.kubeconfig, fleet.clusters);
  t0 = performance.now();
  await reconcileFleet({ fleet, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all', connections: conns });
  const noopMs = performance.now() - t0;
  const writes = [...conns.values()].reduce((n, c) => n + (c instanceof Error ? 0 : c.http.writes), 0);
  closeAll(conns);
  console.log(`  gitfed no-op apply:           ${noopMs.toFixed(0)} ms, ${writes} writes`);

  // kubectl apply --server-side, one cluster after another (what a script would do)
  const rendered = render({ fleet: fleetOf('bench', names, benchObjects('bench-kubectl', 50)), observations: {}, allocations: emptyAllocations() });
  const kubectlMs = kubectlLoop(sb.kubectl, sb.kubeconfig, rendered.clusters.map((c) => ({ context: c.cluster, objects: c.objects })), { fieldManager: 'kubectl-bench' });
  console.log(`  kubectl apply --server-side:  ${kubectlMs.toFixed(0)} ms (loop over ${CLUSTERS} clusters)`);

  // floor: every object to every cluster at once, one PATCH each, nothing else
  const floorObjs = benchObjects('bench-floor', 50);
  const clients = sb.clusters.map((c) => new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }));
  const perCluster = clients.map(() => floorObjs);
  const floorMs = await patchFloor(clients, perCluster, await floorPaths(clients, perCluster), { fieldManager: 'floor' });
  clients.forEach((h) => h.close());
  console.log(`  raw parallel PATCH floor:     ${floorMs.toFixed(0)} ms`);
  console.log(`  => gitfed cold is ${(kubectlMs / coldMs).toFixed(1)}x faster than the kubectl loop (target >= 10x) and ${(coldMs / floorMs).toFixed(2)}x the floor (target <= 2x)`);

  // no-op reconcile of 1000 objects x 10 clusters
  const big = fleetOf('bench-big', names, benchObjects('bench-big', 1000));
  await reconcileFleet({ fleet: big, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all' });
  const bigConns = await connect(sb.kubeconfig, big.clusters);
  // As the operator runs: watch caches per cluster (the first pass fills them).
  for (const c of bigConns.values()) if (!(c instanceof Error)) c.caches = new Map();
  await reconcileFleet({ fleet: big, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all', connections: bigConns }); // warm connections and discovery
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    await reconcileFleet({ fleet: big, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all', connections: bigConns });
    runs.push(performance.now() - t0);
  }
  const bigWrites = [...bigConns.values()].reduce((n, c) => n + (c instanceof Error ? 0 : c.http.writes), 0);
  closeAll(bigConns);
  console.log(`  no-op reconcile 1000 objects x ${CLUSTERS} clusters (operator, watch caches): best ${Math.min(...runs).toFixed(0)} ms of ${runs.map((r) => r.toFixed(0)).join('/')} ms, ${bigWrites} writes (target <= 200 ms, 0 writes)`);
} finally {
  await sb.stop();
  await rm(work, { recursive: true, force: true });
}
