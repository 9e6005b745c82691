// A member cluster's apiserver dies (SIGKILL) or freezes (SIGSTOP) while the
// operator applies a revision: the operator keeps running, the other cluster
// gets the revision, and the broken one catches up once it is back.
import { sigkillApiserver } from '../injectors/apiserver-process.js';
import type { OperatorFault } from '../operator-scenario.js';

export const apiserverKilled: OperatorFault = {
  id: 'apiserver-kill',
  configMaps: 60, // a revision big enough that the kill lands while it is being applied
  injectOnNewRevision: true,
  inject: ({ env }) => sigkillApiserver(env.sb, env.b.name),
  remove: ({ env }) => env.sb.faults.startApiserver(env.b.name),
  bounds: { after: 90_000 },
};

export const apiserverPaused: OperatorFault = {
  id: 'apiserver-pause',
  configMaps: 60,
  injectOnNewRevision: true,
  inject: async ({ env }) => env.sb.faults.pauseApiserver(env.b.name),
  remove: async ({ env }) => env.sb.faults.resumeApiserver(env.b.name),
  bounds: { during: 45_000, after: 90_000 },
};
