// The real apiserver process of a sandbox cluster, by the pid the sandbox
// records in its state file: SIGKILL it (no SIGTERM first) and start it again
// with the sandbox's own restart.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from '../../../operator/sandbox/index.js';
import { alive } from '../../../operator/sandbox/supervisor.js';
import { waitFor } from '../wait.js';

export async function apiserverPid(sb: Sandbox, cluster: string): Promise<number> {
  const state = JSON.parse(await readFile(join(sb.dir, 'sandbox.json'), 'utf8')) as { clusters: Array<{ name: string; processes: Record<string, { pid: number }> }> };
  const pid = state.clusters.find((c) => c.name === cluster)?.processes.apiserver?.pid;
  if (!pid) throw new Error(`the sandbox records no apiserver for ${cluster}`);
  return pid;
}

/** SIGKILL the apiserver and wait until it is gone. */
export async function sigkillApiserver(sb: Sandbox, cluster: string): Promise<void> {
  const pid = await apiserverPid(sb, cluster);
  process.kill(pid, 'SIGKILL');
  if (!(await waitFor(10_000, () => !alive(pid), 50))) throw new Error(`apiserver of ${cluster} (pid ${pid}) survived SIGKILL`);
}
