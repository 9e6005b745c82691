// The real gitfed, as a user runs it: `node bin/gitfed.js ...` in a child
// process. The operator (`gitfed run`) is watched for an unexpected exit; a
// one-shot command is judged by its exit code and whether it died on an
// uncaught exception (a JavaScript stack trace on stderr).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait.js';

/** A JavaScript stack frame line: what an uncaught exception prints. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(node:[^)]+\))$/m;

export function diedOnException(stderr: string): boolean {
  return STACK.test(stderr);
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run one gitfed command to the end (bounded: a hang is killed and reported as signal SIGKILL). */
export function runGitfed(root: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'gitfed.js'), ...args], { cwd: opts.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** A one-shot command crashed: killed, an exit code it does not document, or an uncaught exception. */
export function cliCrashed(r: CliRun, allowedCodes: number[]): boolean {
  return r.code === null || !allowedCodes.includes(r.code) || diedOnException(r.stderr);
}

export class OperatorProcess {
  readonly child: ChildProcess;
  private log = '';
  private stopping = false;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Exited while nobody asked it to stop. */
  crashed = false;

  constructor(readonly root: string, readonly args: string[], readonly label = 'gitfed') {
    this.child = spawn(process.execPath, [join(root, 'bin', 'gitfed.js'), 'run', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d) => { this.log += d; });
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      if (!this.stopping) this.crashed = true;
    });
  }

  get logs(): string {
    return this.log;
  }

  get running(): boolean {
    return !this.exit;
  }

  /** How many JSON log lines have this "msg". */
  count(msg: string): number {
    return this.log.split('\n').filter((l) => l.includes(`"msg":${JSON.stringify(msg)}`)).length;
  }

  /** The HTTP server's base URL, from the start-up log line. */
  async url(timeoutMs = 30_000): Promise<string | undefined> {
    return waitFor(timeoutMs, () => {
      if (!this.running) return undefined;
      const m = /"listen":"(http:\/\/[^"]+)"/.exec(this.log);
      return m?.[1];
    });
  }

  async readyz(): Promise<number | undefined> {
    const base = await this.url(1000);
    if (!base) return undefined;
    try {
      return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) })).status;
    } catch {
      return undefined;
    }
  }

  /** The last lines of the log, for a note when something went wrong. */
  lastError(): string | undefined {
    const lines = this.log.trim().split('\n').filter((l) => /error|Error|"level":"(error|warn)"/.test(l));
    return lines.at(-1)?.slice(0, 240);
  }

  /** SIGTERM and wait for a clean exit; SIGKILL after the bound. Returns whether it exited in time. */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    if (!this.running) return true;
    this.stopping = true;
    this.child.kill('SIGTERM');
    const exited = await waitFor(timeoutMs, () => !this.running, 100);
    if (!exited) {
      this.child.kill('SIGKILL');
      await waitFor(5000, () => !this.running, 100);
    }
    return !!exited;
  }

  /** SIGKILL on purpose (the leader fault): not a crash. */
  async kill(): Promise<void> {
    this.stopping = true;
    this.child.kill('SIGKILL');
    await waitFor(5000, () => !this.running, 50);
  }

  describeExit(): string {
    if (!this.exit) return 'running';
    const why = this.exit.signal ? `signal ${this.exit.signal}` : `code ${this.exit.code}`;
    // The first line that is not a JSON log line: the exception, or the usage error.
    const said = this.log.split('\n').find((l) => l.trim() && !l.startsWith('{'))?.trim().slice(0, 160);
    return `${this.label} exited with ${why}${said ? `: ${said}` : ''}`;
  }
}
