// Processes the sandbox starts: detached (so `gitfed sandbox up` can return
// while they run), logging to files in the sandbox dir, recorded in the
// state file so that `sandbox down` from another process can stop them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessRecord {
  name: string;
  pid: number;
  cmd: string;
  args: string[];
  log: string;
  env?: Record<string, string>;
}

export function startProcess(dir: string, name: string, cmd: string, args: string[], env: Record<string, string> = {}): ProcessRecord {
  const log = join(dir, 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${name} (${cmd})`);
  return { name, pid: child.pid, cmd, args, log, ...(Object.keys(env).length ? { env } : {}) };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signal the process group (the child is its leader since it was started detached). */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try { process.kill(pid, sig); } catch { /* already gone */ }
  }
}

export async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

/** SIGTERM, then SIGKILL after a grace period. SIGCONT first so a paused process can die. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!alive(pid)) return;
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGTERM');
  if (await waitExit(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitExit(pid, 2000);
}

/** Resident memory of processes in bytes (Linux /proc), 0 where unknown. */
export function rssBytes(pids: number[]): number {
  return statusBytes(pids, 'VmRSS');
}

/**
 * Resident memory that is each process's own (RssAnon): what N processes of
 * one binary really take together. VmRSS also counts the mapped binary,
 * which the kernel holds once for all of them (about 85 MB for kube-apiserver).
 */
export function privateBytes(pids: number[]): number {
  return statusBytes(pids, 'RssAnon');
}

function statusBytes(pids: number[], field: 'VmRSS' | 'RssAnon'): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch { /* gone or not Linux */ }
  }
  return total;
}

/** The last lines of a process's log file ('' when there is none): what error messages about it carry. */
export function logTail(file: string | undefined, lines = 15): string {
  if (!file) return '';
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Wait until `check` holds. If the process dies first, say so at once; either
 * way the error carries the last lines of its log (where a failed bind says
 * "address already in use", which `onFreshPorts` looks for).
 */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, logFile?: string, pid?: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    if (pid !== undefined && !alive(pid)) { timeoutMs = 0; break; } // it died: say so now
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = logTail(logFile);
  throw new Error(`${what} ${timeoutMs === 0 ? 'exited before it was ready' : `did not become ready within ${timeoutMs / 1000}s`}${tail ? `; last log lines:\n${tail}` : ''}`);
}
