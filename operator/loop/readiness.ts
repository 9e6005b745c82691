// /readyz: ready when this replica is the one doing the work and its loop
// is alive. Not ready while starting, when no tick has completed for three
// intervals (something hangs: gitfed_last_tick_completed_timestamp_seconds
// says since when), or as a standby under leader election (so the Service
// sends webhooks to the leader only).
export const NOT_READY_REASONS = ['starting', 'stalled', 'standby'] as const;
export type NotReadyReason = (typeof NOT_READY_REASONS)[number];
export type Readiness = { ready: true } | { ready: false; reason: NotReadyReason; message: string };

export interface ReadinessInput {
  now: number;
  /** Since when this replica is expected to tick: start-up, or when it became leader. */
  activeSince: number;
  lastTickCompletedAt?: number;
  /** The time between two scheduled ticks. */
  periodMs: number;
  /** undefined without leader election. */
  leader?: boolean;
}

export function readiness(i: ReadinessInput): Readiness {
  if (i.leader === false) return { ready: false, reason: 'standby', message: 'standby: another replica holds the Lease' };
  const limit = 3 * i.periodMs;
  const completed = i.lastTickCompletedAt !== undefined && i.lastTickCompletedAt >= i.activeSince ? i.lastTickCompletedAt : undefined;
  if (completed === undefined) {
    return i.now - i.activeSince > limit
      ? { ready: false, reason: 'stalled', message: `no tick has completed since start-up ${Math.round((i.now - i.activeSince) / 1000)}s ago (3 intervals: ${limit / 1000}s)` }
      : { ready: false, reason: 'starting', message: 'the first tick has not completed yet' };
  }
  if (i.now - completed > limit) return { ready: false, reason: 'stalled', message: `no tick has completed for ${Math.round((i.now - completed) / 1000)}s (3 intervals: ${limit / 1000}s)` };
  return { ready: true };
}
