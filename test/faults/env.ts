// What every fault gets: the running sandbox, a scratch directory of its own,
// the project root (to spawn the real `bin/gitfed.js`) and the two clusters
// the faults use (A is never faulted, B is the one that breaks).
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox, SandboxCluster } from '../../operator/sandbox/index.js';

export interface FaultEnv {
  sb: Sandbox;
  /** Scratch directory for this suite run (removed by whoever made it). */
  work: string;
  /** The project root: bin/gitfed.js lives here. */
  root: string;
  /** Never faulted: it must keep converging while B breaks. */
  a: SandboxCluster;
  /** The cluster (or apiserver) the faults break. */
  b: SandboxCluster;
}

/** dist/test/faults/env.js -> the project root. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function faultEnv(sb: Sandbox, work: string): FaultEnv {
  const [a, b] = sb.clusters;
  if (!a || !b) throw new Error('the fault suite needs a sandbox with at least 2 clusters');
  return { sb, work, root: PROJECT_ROOT, a, b };
}

/** A fresh directory under the suite's scratch directory. */
export function scratch(env: FaultEnv, prefix: string): Promise<string> {
  return mkdtemp(join(env.work, `${prefix}-`));
}

let counter = 0;
/** A namespace (and fleet name) no other fault or run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36).slice(-4)}${(counter++).toString(36)}`;
}
