// Memory of a 3-cluster and a 10-cluster sandbox (every process: etcd,
// apiservers, controller-managers, schedulers, hollow nodes, git server).
// Prints numbers; asserts nothing.
import { startSandbox } from '../../operator/sandbox/index.js';
import { rssBytes } from '../../operator/sandbox/supervisor.js';

const sizes = (process.env.BENCH_SANDBOX_SIZES ?? '3,10').split(',').map(Number);
for (const clusters of sizes) {
  const t0 = Date.now();
  const sb = await startSandbox({ clusters, nodesPerCluster: 2 });
  const up = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 10_000)); // let controllers settle
  const rss = rssBytes(sb.pids());
  console.log(`sandbox ${String(clusters).padStart(2)} clusters x 2 hollow nodes: ${sb.pids().length} processes, up in ${(up / 1000).toFixed(1)} s, RSS ${(rss / 1048576).toFixed(0)} MB (${(rss / clusters / 1048576).toFixed(0)} MB per cluster)`);
  await sb.stop();
}
