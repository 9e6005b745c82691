// Schedules: a cron expression fires the tick; a bad one is a clear error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schedule } from '../../operator/loop/triggers.js';

test('triggers: a cron schedule (seconds field allowed) fires, and stops', async () => {
  let fired = 0;
  const t = schedule('* * * * * *', () => { fired++; });
  await new Promise((r) => setTimeout(r, 2300));
  await t.stop();
  const seen = fired;
  assert.ok(seen >= 1, `fired ${seen} times`);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(fired, seen, 'no tick after stop');
});

test('triggers: an invalid schedule names the flag and an example', () => {
  assert.throws(() => schedule('every minute', () => undefined), /--schedule "every minute" is not a valid cron expression \(e\.g\. "\*\/1 \* \* \* \*"\)/);
});
