// Watches of one member cluster answered with an error instead of events
// (through the fault proxy; LIST and writes still reach the real apiserver):
// 401/403/429/500 with a Kubernetes Status body, 500 with no body, 410 Gone
// as an HTTP answer and as a watch ERROR event (once per watch, as an
// apiserver does for a compacted resourceVersion). The operator must not crash,
// must not retry in a tight loop, must keep cluster A converging, and must
// converge everywhere once the watches work again.
import type { FaultAnswer } from '../injectors/apiserver-proxy.js';
import type { OperatorFault, ScenarioContext } from '../operator-scenario.js';
import { waitFor } from '../wait.js';

/** Watch attempts per second above this mean no backoff (a healthy client retries ~1/s per watch, then slower). */
const STORM_PER_SECOND = 50;

async function watchesHitTheFault(ctx: ScenarioContext): Promise<void> {
  const proxy = ctx.proxy!;
  // The fault counts once the client has actually been answered by it (or died of it).
  const hit = await waitFor(20_000, () => proxy.faulted() >= 2 || !ctx.op.running);
  if (!hit) ctx.outcome.problems.push('fault not exercised: no watch reached the proxy within 20 s');
}

function stormCheck(ctx: ScenarioContext): void {
  const n = ctx.proxy!.faulted();
  const secs = Math.max(1, (Date.now() - ctx.injectedAt) / 1000);
  ctx.outcome.notes.push(`${n} faulted watch answers in ${secs.toFixed(0)} s`);
  if (n / secs > STORM_PER_SECOND) ctx.outcome.problems.push(`watch retried ${n} times in ${secs.toFixed(0)} s (no backoff)`);
}

/** The watch a request belongs to: its path and selectors, without the resourceVersion it resumes from. */
function watchKey(path: string): string {
  return path.replace(/([?&])resourceVersion=[^&]*/, '$1');
}

/**
 * `once`: answer only the first watch of each collection with the fault (a
 * 410 is what an apiserver says to a watch resuming from a compacted
 * resourceVersion: after a relist the next watch works); otherwise every
 * watch gets the fault until it is removed.
 */
export function watchAnswered(id: string, answer: FaultAnswer, once = false): OperatorFault {
  return {
    id,
    proxyB: true,
    inject: async (ctx) => {
      const answered = new Set<string>();
      ctx.proxy!.resetCount();
      ctx.proxy!.setRule((r) => {
        if (!r.watch || (once && answered.has(watchKey(r.path)))) return undefined;
        answered.add(watchKey(r.path));
        return answer;
      });
      ctx.proxy!.dropWatches();
      await watchesHitTheFault(ctx);
    },
    during: async (ctx) => stormCheck(ctx),
    remove: async (ctx) => ctx.proxy!.setRule(undefined),
  };
}

export const WATCH_FAULTS: Array<{ label: string; fault: OperatorFault }> = [
  { label: 'watch 401 (Status body)', fault: watchAnswered('watch-401', { status: 401, body: 'status' }) },
  { label: 'watch 403 (Status body)', fault: watchAnswered('watch-403', { status: 403, body: 'status' }) },
  { label: 'watch 429 (Status body)', fault: watchAnswered('watch-429', { status: 429, body: 'status' }) },
  { label: 'watch 500 (Status body)', fault: watchAnswered('watch-500', { status: 500, body: 'status' }) },
  { label: 'watch 500 (empty body)', fault: watchAnswered('watch-500-empty', { status: 500, body: 'empty' }) },
  { label: 'watch 410 Gone (HTTP answer)', fault: watchAnswered('watch-410', { status: 410, body: 'status', reason: 'Gone' }, true) },
  { label: 'watch 410 Expired (ERROR event)', fault: watchAnswered('watch-410-event', { status: 410, body: 'error-event' }, true) },
];
