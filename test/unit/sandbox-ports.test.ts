// A sandbox process that loses its port between our check and its bind is
// started again on new ports (a CI run once failed on exactly that).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { freePort, isPortConflict, onFreshPorts } from '../../operator/sandbox/ports.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

test('sandbox ports: a start whose port was taken meanwhile is started again on a new port', async () => {
  const taken = await listen(await freePort());
  const takenPort = (taken.address() as { port: number }).port;
  const tried: number[] = [];
  let first = true;
  // The first attempt binds the port someone else holds (the race, made certain).
  const srv = await onFreshPorts(1, async ([port]) => {
    const p = first ? takenPort : port!;
    first = false;
    tried.push(p);
    return listen(p);
  });
  try {
    assert.equal(tried.length, 2);
    assert.equal(tried[0], takenPort);
    assert.notEqual(tried[1], takenPort);
    assert.equal((srv.address() as { port: number }).port, tried[1]);
  } finally {
    srv.close();
    taken.close();
  }
});

test('sandbox ports: any other start error is not retried, and a port that stays taken fails after three attempts', async () => {
  let calls = 0;
  await assert.rejects(onFreshPorts(1, async () => { calls++; throw new Error('etcd: data dir is locked'); }), /data dir is locked/);
  assert.equal(calls, 1);
  const taken = await listen(await freePort());
  const takenPort = (taken.address() as { port: number }).port;
  calls = 0;
  try {
    await assert.rejects(onFreshPorts(1, async () => { calls++; return listen(takenPort); }), (e: Error) => isPortConflict(e));
    assert.equal(calls, 3);
  } finally {
    taken.close();
  }
});
