// /readyz: starting, stalled (no tick completed for 3 intervals), standby.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readiness } from '../../operator/loop/readiness.js';

test('readiness: ready after a tick; stalled when no tick completed for 3 intervals; a standby is never ready', () => {
  const base = { activeSince: 0, periodMs: 1000 };
  assert.deepEqual(readiness({ ...base, now: 500 }).ready, false);
  assert.equal((readiness({ ...base, now: 500 }) as { reason: string }).reason, 'starting');
  assert.equal((readiness({ ...base, now: 3500 }) as { reason: string }).reason, 'stalled', 'the first tick hangs');
  assert.equal(readiness({ ...base, now: 3500, lastTickCompletedAt: 1000 }).ready, true);
  assert.equal((readiness({ ...base, now: 4100, lastTickCompletedAt: 1000 }) as { reason: string }).reason, 'stalled');
  assert.equal((readiness({ ...base, now: 1500, lastTickCompletedAt: 1000, leader: false }) as { reason: string }).reason, 'standby');
  assert.equal(readiness({ ...base, now: 1500, lastTickCompletedAt: 1000, leader: true }).ready, true);
  // A standby that just became leader has not ticked as leader yet.
  assert.equal((readiness({ activeSince: 5000, periodMs: 1000, now: 5100, lastTickCompletedAt: 1000, leader: true }) as { reason: string }).reason, 'starting');
});
