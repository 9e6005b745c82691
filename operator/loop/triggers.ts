// What starts a tick: an interval, a cron schedule (node-cron), file changes
// in --dir mode (chokidar), and webhooks (see http-server.ts).
import chokidar from 'chokidar';
import cron from 'node-cron';
import type { TickResult } from './operator-types.js';

export interface Trigger {
  stop(): Promise<void> | void;
  /** The longest time between two ticks it fires (readiness allows three). */
  periodMs?: number;
}

export function every(ms: number, fire: () => void): Trigger {
  const t = setInterval(fire, ms);
  return { stop: () => clearInterval(t), periodMs: ms };
}

export function schedule(expr: string, fire: () => void): Trigger {
  if (!cron.validate(expr)) throw new Error(`--schedule "${expr}" is not a valid cron expression (e.g. "*/1 * * * *")`);
  const task = cron.schedule(expr, fire);
  const runs = task.getNextRuns(6).map((d) => d.getTime());
  const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
  return { stop: () => { task.stop(); }, periodMs: gaps.length ? Math.max(...gaps) : 60_000 };
}

export function watchDir(dir: string, ignore: string, fire: () => void): Trigger {
  let timer: NodeJS.Timeout | undefined;
  const watcher = chokidar.watch(['clusters', 'manifests', 'policies'].map((d) => `${dir}/${d}`), { ignoreInitial: true, ignored: (p) => p.startsWith(ignore) });
  // Editors write several files at once: wait for the burst to end.
  watcher.on('all', () => { clearTimeout(timer); timer = setTimeout(fire, 300); });
  return { stop: async () => { clearTimeout(timer); await watcher.close(); } };
}

/** The longest wait between retries, as a multiple of the first one. */
export const RETRY_MAX_FACTOR = 16;

/**
 * After a tick in which a cluster failed (an apply error, an unreachable
 * apiserver, git down), tick again soon instead of a whole interval later:
 * after `firstMs`, then twice as long each time, up to 16x `firstMs` and
 * never longer than the interval (Flux's retryInterval, with a backoff so a
 * long outage is not hammered). A tick without failures resets it.
 */
export class RetryBackoff {
  private timer?: NodeJS.Timeout;
  private failures = 0;

  /** `periodMs`: the trigger's longest period now (an interval, or a schedule's). */
  constructor(private readonly firstMs: number, private readonly periodMs: () => number, private readonly fire: () => void) {}

  /** The outcome of a tick: returns the delay of the retry it schedules, if any. */
  after(failed: boolean): number | undefined {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!failed) {
      this.failures = 0;
      return undefined;
    }
    const delay = retryDelay(this.firstMs, this.periodMs(), this.failures++);
    this.timer = setTimeout(this.fire, delay);
    this.timer.unref?.();
    return delay;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** The wait before retry number `n` (0-based). */
export function retryDelay(firstMs: number, periodMs: number, n: number): number {
  return Math.min(firstMs * 2 ** n, firstMs * RETRY_MAX_FACTOR, Math.max(firstMs, periodMs));
}

/**
 * A tick worth retrying soon: a cluster failed, did not answer its health
 * probe (skipped as unreachable: its objects were not written, and its probe
 * reports no error of its own), or git failed. A revision with errors is not
 * retried: retrying cannot fix it.
 */
export function tickFailed(r: TickResult): boolean {
  if (r.aborted) return false;
  return !!r.error || !!r.gitError || !!r.result?.clusters.some((c) => c.errors.length > 0 || c.counts.failed > 0 || c.skipped === 'unreachable');
}

