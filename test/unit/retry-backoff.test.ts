// After a tick with a failed cluster the operator ticks again soon, with a
// backoff, instead of waiting a whole --interval (with --interval 1h, a
// cluster that timed out once would otherwise wait an hour).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { TickResult } from '../../operator/loop/operator-types.js';
import { RetryBackoff, retryDelay, tickFailed } from '../../operator/loop/triggers.js';

test('retry delays double from --retry-interval up to 16x, never past the interval', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => retryDelay(5000, 3_600_000, n)), [5000, 10_000, 20_000, 40_000, 80_000, 80_000, 80_000]);
  assert.deepEqual([0, 1, 2].map((n) => retryDelay(5000, 12_000, n)), [5000, 10_000, 12_000], 'an interval shorter than the backoff caps it');
  assert.equal(retryDelay(5000, 1000, 3), 5000, 'an interval shorter than the first retry: the first retry');
});

test('a failed tick schedules one retry; failures back off; a good tick resets and cancels', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let fired = 0;
    const r = new RetryBackoff(1000, () => 60_000, () => { fired++; });
    assert.equal(r.after(true), 1000);
    mock.timers.tick(999);
    assert.equal(fired, 0);
    mock.timers.tick(1);
    assert.equal(fired, 1);
    assert.equal(r.after(true), 2000, 'the second failure in a row waits twice as long');
    assert.equal(r.after(true), 4000, 'a newer outcome replaces the pending retry');
    mock.timers.tick(4000);
    assert.equal(fired, 2, 'one retry, not one per outcome');
    assert.equal(r.after(false), undefined);
    mock.timers.tick(100_000);
    assert.equal(fired, 2, 'a good tick schedules nothing');
    assert.equal(r.after(true), 1000, 'and starts the backoff again');
    r.stop();
    mock.timers.tick(100_000);
    assert.equal(fired, 2, 'stop cancels the pending retry');
  } finally {
    mock.timers.reset();
  }
});

test('which ticks are retried: a failed cluster or git, not a broken revision or a lost leadership', () => {
  const cluster = (errors: string[], failed = 0) => ({ cluster: 'c', health: 'Ready', errors, counts: { inSync: 0, changed: 0, drifted: 0, missing: 0, failed, blocked: 0 } });
  const tick = (over: Partial<TickResult> & { clusters?: unknown[] }): TickResult => ({ applied: true, statusCommitted: false, ...over, ...(over.clusters ? { result: { clusters: over.clusters } as never } : {}) });
  assert.equal(tickFailed(tick({ clusters: [cluster([])] })), false);
  assert.equal(tickFailed(tick({ clusters: [cluster([]), cluster(['ConfigMap a/b: HTTP 503'], 1)] })), true);
  assert.equal(tickFailed(tick({ clusters: [cluster(['cluster unreachable: connect ECONNREFUSED'])] })), true);
  // A health probe that timed out: the cluster is skipped with no error of its own, and its objects wait for the retry (not an --interval of 1h).
  assert.equal(tickFailed(tick({ clusters: [{ ...cluster([]), health: 'Offline', skipped: 'unreachable' }] })), true);
  assert.equal(tickFailed(tick({ clusters: [{ ...cluster([]), skipped: 'paused' }, { ...cluster([]), skipped: 'held' }] })), false, 'a paused cluster or one a rollout holds is not a failure');
  assert.equal(tickFailed(tick({ gitError: 'git has not answered within 5s' })), true);
  assert.equal(tickFailed(tick({ applied: false, notApplied: 'manifests/a.yaml:3: kind is missing' })), false);
  assert.equal(tickFailed(tick({ aborted: true, error: 'leadership lost' })), false);
});
