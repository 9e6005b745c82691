// Benchmark: render 10,000 federated objects over 100 clusters.
// Target (issue 3): at most 2 s and at most 512 MB RSS on a 2-core machine.
// Prints numbers; asserts nothing (timings belong in benchmarks, not tests).
import { performance } from 'node:perf_hooks';
import { emptyAllocations, type Observations } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { cluster, deployment, fleet, ingress, observed, service } from '../helpers/fleet-builder.js';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 100);
const APPS = Number(process.env.BENCH_APPS ?? 2500); // x4 objects each

function buildFleet() {
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => cluster(`c${String(i).padStart(3, '0')}`, { gce: { project: 'bench', zone: `zone-${i}` } }));
  const manifests = [];
  for (let i = 0; i < APPS; i++) {
    const name = `app-${i}`;
    manifests.push(deployment(name, 3 + (i % 40)), service(name), ingress(name, name),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, namespace: 'web' }, data: { greeting: `hello ${i}` } });
  }
  return { fleet: fleet({ clusters, manifests }), objects: manifests.length };
}

function buildObservations(): Observations {
  const obs: Observations = {};
  for (let i = 0; i < CLUSTERS; i++) {
    // Every cluster already uses some node ports of its own.
    obs[`c${String(i).padStart(3, '0')}`] = observed({
      nodePorts: Array.from({ length: 20 }, (_, k) => ({ port: 32700 + ((i * 7 + k * 13) % 68), namespace: 'other', service: `s${k}` })),
    });
  }
  return obs;
}

let peakRss = 0;
const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
const timer = setInterval(sample, 5);

const { fleet: f, objects } = buildFleet();
const observations = buildObservations();
sample();
const times: number[] = [];
let rendered = 0;
for (let run = 0; run < 3; run++) {
  const t0 = performance.now();
  const r = render({ fleet: f, observations, allocations: emptyAllocations() });
  times.push(performance.now() - t0);
  rendered = r.clusters.reduce((n, c) => n + c.objects.length, 0);
  sample();
  if (r.findings.some((x) => x.severity === 'error')) throw new Error(`bench fleet has errors: ${r.findings[0]?.message}`);
}
clearInterval(timer);
sample();
const best = Math.min(...times);
console.log(`render bench: ${objects} federated objects x ${CLUSTERS} clusters = ${rendered} rendered objects`);
console.log(`  render time: first ${times[0]!.toFixed(0)} ms, best ${best.toFixed(0)} ms (target <= 2000 ms)`);
console.log(`  peak RSS:    ${(peakRss / 1048576).toFixed(0)} MB (target <= 512 MB)`);
