// What starts a tick: an interval, a cron schedule (node-cron), file changes
// in --dir mode (chokidar), and webhooks (see http-server.ts).
import chokidar from 'chokidar';
import cron from 'node-cron';

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
