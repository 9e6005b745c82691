// CPU time and memory of running processes, read from Linux /proc: what a
// peer costs while it has nothing to do.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rssBytes } from '../../../operator/sandbox/supervisor.js';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** User + system CPU seconds the processes have used so far (a gone process counts 0). */
export function cpuSeconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      // The command name (field 2) may hold spaces: count fields after its ")".
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / clockTicks(); // utime, stime (fields 14, 15)
    } catch { /* gone */ }
  }
  return total;
}

export interface IdleCost {
  /** CPU seconds per minute of wall time. */
  cpuPerMinute: number;
  rssBytes: number;
}

/** Watch the processes for `ms` of nothing to do: CPU used over that time, RSS at its end. */
export async function idleCost(pids: readonly number[], ms: number): Promise<IdleCost> {
  const c0 = cpuSeconds(pids);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const used = cpuSeconds(pids) - c0;
  return { cpuPerMinute: (used * 60_000) / (Date.now() - t0), rssBytes: rssBytes([...pids]) };
}
