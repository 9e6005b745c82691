// `npm run faults`: one real sandbox (2 clusters, real apiservers, real git
// server), every fault of the catalog in turn, one line per fault and a total.
// Exit 1 when any fault was not survived.
//   node dist/test/faults/run-faults.js [--fast] [--only TEXT]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../../operator/sandbox/index.js';
import { FAULT_CASES } from './catalog.js';
import { faultEnv } from './env.js';
import { formatLine, newOutcome, survived, totalLine, type FaultOutcome } from './outcome.js';

const { values } = parseArgs({ options: { fast: { type: 'boolean' }, only: { type: 'string', multiple: true } } });
const cases = FAULT_CASES.filter((c) => (!values.fast || c.fast) && (!values.only || values.only.some((o) => c.label.includes(o))));
/** A harness that hangs is reported, not waited for forever (every fault bounds its own waits well below this). */
const FAULT_BOUND_MS = 8 * 60_000;
const started = Date.now();
process.stderr.write(`==> starting a 2-cluster sandbox for ${cases.length} fault(s)\n`);
const sb = await startSandbox({ clusters: 2, controllers: false, nodesPerCluster: 0 });
const work = await mkdtemp(join(tmpdir(), 'gitfed-faults-'));
const env = faultEnv(sb, work);
const results: Array<{ label: string; outcome: FaultOutcome }> = [];
const width = Math.max(...cases.map((c) => c.label.length)) + 2;
try {
  for (const c of cases) {
    const t0 = Date.now();
    let outcome: FaultOutcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      outcome = await Promise.race([c.run(env), new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`the fault did not finish within ${FAULT_BOUND_MS / 1000} s`)), FAULT_BOUND_MS); })]);
    } catch (e) {
      outcome = newOutcome();
      outcome.problems.push(`harness error: ${(e as Error).message.split('\n')[0]}`);
    }
    clearTimeout(timer);
    results.push({ label: c.label, outcome });
    process.stdout.write(formatLine(c.label, outcome, width) + '\n');
    process.stderr.write(`    (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
} finally {
  await sb.stop();
  await rm(work, { recursive: true, force: true });
}
process.stdout.write(totalLine(results) + '\n');
process.stderr.write(`==> the fault suite took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exitCode = results.every((r) => survived(r.outcome)) ? 0 : 1;
