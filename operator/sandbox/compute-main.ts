// Entry point of the sandbox's Compute Engine stand-in process (so it can
// outlive `gitfed sandbox up --gce`): serves the stand-in on --port and plays
// GLBC in every cluster of the sandbox in --dir, building into it, until
// SIGTERM (`sandbox down`). Flags: --dir D --port N [--project P]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startComputeStandin } from './compute-standin.js';
import { startGlbc } from './glbc-standin.js';
import type { SandboxCluster } from './index.js';

const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string' }, project: { type: 'string' } } });
if (!values.dir || !values.port) {
  console.error('usage: compute-main --dir D --port N [--project P]');
  process.exit(2);
}
// The sandbox's state file names every cluster with its address and admin token.
const state = JSON.parse(await readFile(join(values.dir, 'sandbox.json'), 'utf8')) as { clusters: Array<Pick<SandboxCluster, 'name' | 'server' | 'ca' | 'adminToken'>> };
const standin = await startComputeStandin({ port: Number(values.port) });
const glbc = startGlbc({ clusters: state.clusters }, 2000, { compute: { endpoint: standin.url, ...(values.project ? { project: values.project } : {}) } });
console.log(`compute stand-in listening on ${standin.url}/compute/v1/; GLBC stand-in for ${state.clusters.map((c) => c.name).join(', ')}`);
const stop = () => { glbc.stop(); void standin.close().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
