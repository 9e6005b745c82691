// Every fault and piece of hostile input the suite tries, in the order it
// prints them. `fast` ones (each well under 30 s when gitfed handles them)
// also run under `npm test` (test/integration/faults.test.ts).
import { clusterName } from '../../operator/sandbox/cluster-processes.js';
import { apiserverKilled, apiserverPaused } from './cases/apiserver-process.js';
import { crdWithItsResources } from './cases/crd-with-crs.js';
import { floodedList } from './cases/flood-answers.js';
import { gitRefusing, gitStalled, gitTrickling } from './cases/git-outage.js';
import { leaderKilledMidApply } from './cases/leader-kill.js';
import { ingressObservationFails } from './cases/observation-failure.js';
import { overrideIntoIngressUid } from './cases/override-uid.js';
import { writesRefusedThenRetried } from './cases/retry-after-failure.js';
import { kindPathAttack, overrideNameAttack, statusDirAttack } from './cases/path-attacks.js';
import { STATUS_GARBAGE } from './cases/status-garbage.js';
import { WATCH_FAULTS } from './cases/watch-answers.js';
import type { FaultEnv } from './env.js';
import { runOperatorFault } from './operator-scenario.js';
import type { FaultOutcome } from './outcome.js';

export interface FaultCase {
  label: string;
  fast: boolean;
  run(env: FaultEnv): Promise<FaultOutcome>;
}

/** The cluster the faults break (the sandbox's second cluster). */
const B = clusterName(1);

export const FAULT_CASES: FaultCase[] = [
  { label: `apiserver SIGKILL mid-apply on ${B}`, fast: false, run: (env) => runOperatorFault(env, apiserverKilled) },
  { label: `apiserver SIGSTOP mid-apply on ${B}`, fast: false, run: (env) => runOperatorFault(env, apiserverPaused) },
  ...WATCH_FAULTS.map(({ label, fault }) => ({ label: `${label} on ${B}`, fast: true, run: (env: FaultEnv) => runOperatorFault(env, fault) })),
  { label: 'git server stalled (accepts, never answers)', fast: false, run: (env) => runOperatorFault(env, gitStalled) },
  { label: 'git server trickling (never finishes)', fast: true, run: (env) => runOperatorFault(env, gitTrickling) },
  { label: 'git server refusing connections', fast: true, run: (env) => runOperatorFault(env, gitRefusing) },
  ...STATUS_GARBAGE.map(({ label, fault }) => ({ label, fast: true, run: (env: FaultEnv) => runOperatorFault(env, fault) })),
  { label: 'leader SIGKILLed mid-apply (2 operators)', fast: false, run: leaderKilledMidApply },
  { label: 'CRD and its custom resources in one apply', fast: true, run: crdWithItsResources },
  { label: 'Override renames a ConfigMap to ingress-uid', fast: true, run: overrideIntoIngressUid },
  { label: 'Override name ../../x (render --out)', fast: true, run: (env) => overrideNameAttack(env, '../../x') },
  { label: 'Override name ../../../../../x (render --out)', fast: true, run: (env) => overrideNameAttack(env, '../../../../../x') },
  { label: 'kind: Foo/../../x (render --out)', fast: true, run: (env) => kindPathAttack(env, 'Foo/../../x') },
  { label: 'run --dir . --status-dir .', fast: true, run: (env) => statusDirAttack(env, '.') },
  { label: 'run --dir . --status-dir .git', fast: true, run: (env) => statusDirAttack(env, '.git') },
  { label: `Ingress LIST forbidden on ${B} (uid safety)`, fast: true, run: ingressObservationFails },
  { label: `ConfigMap LIST answered with an endless body on ${B}`, fast: true, run: floodedList },
  { label: `writes refused on ${B}, --interval 1h (retried with backoff)`, fast: true, run: writesRefusedThenRetried },
];
