// Leader election logic with a fake Lease store and injected clocks (the
// sandbox test in operator-leader.test.ts runs it against a real apiserver).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { KubeUnreachableError, WriteRefusedError } from '../../operator/cluster/kube-types.js';
import { LeaderElector, LeaseConfigError } from '../../operator/loop/leader-election.js';

/** One Lease with resourceVersion checks, like the apiserver. */
function leaseStore() {
  let lease: any;
  let rv = 0;
  const store = {
    fail: false,
    /** Answer this method with a success status and this body (not a Lease). */
    lie: undefined as { method: string; body: unknown } | undefined,
    gate: undefined as Promise<void> | undefined,
    requests: 0,
    get holder(): string | undefined { return lease?.spec.holderIdentity; },
    async request<T>(o: { method?: string; path: string; body?: any }): Promise<{ status: number; body: T; text: string }> {
      store.requests++;
      if (store.gate) await store.gate;
      if (store.fail) throw new Error('connection refused');
      const ok = (status: number, body: any) => ({ status, body, text: '' });
      const method = o.method ?? 'GET';
      if (store.lie?.method === method) return ok(method === 'POST' ? 201 : 200, store.lie.body);
      if (method === 'GET') return lease ? ok(200, structuredClone(lease)) : ok(404, {});
      if (method === 'POST') {
        if (lease) return ok(409, {});
        lease = { ...o.body, metadata: { ...o.body.metadata, resourceVersion: String(++rv) } };
        return ok(201, structuredClone(lease));
      }
      if (o.body.metadata.resourceVersion !== lease.metadata.resourceVersion) return ok(409, {});
      lease = { ...o.body, metadata: { ...o.body.metadata, resourceVersion: String(++rv) } };
      return ok(200, structuredClone(lease));
    },
  };
  return store;
}

test('leader election: expiry is judged on our own clock from when we saw the record change, not from the holder\'s renewTime', async () => {
  const store = leaseStore();
  let bNow = 0;
  // a's wall clock is decades behind: its renewTime looks ancient to anyone comparing clocks.
  let aWall = 0;
  const a = new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'a', durationSeconds: 2, wallClock: () => (aWall += 1500) });
  const b = new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'b', durationSeconds: 2, clock: () => bNow });
  assert.equal(await a.tryAcquire(), true);
  for (let i = 0; i < 10; i++) {
    assert.equal(await b.tryAcquire(), false, `b must not take a Lease that is being renewed (attempt ${i})`);
    bNow += 1500;
    assert.equal(await a.tryAcquire(), true, 'a renews');
  }
  // a stops renewing: the record stops changing; b takes over once the lease duration passed on b's clock.
  assert.equal(await b.tryAcquire(), false);
  bNow += 1900;
  assert.equal(await b.tryAcquire(), false, 'not before the lease duration since the last change b saw');
  bNow += 200;
  assert.equal(await b.tryAcquire(), true);
  assert.equal(store.holder, 'b');
  assert.equal(await a.tryAcquire(), false, 'a sees another holder and is no longer leader');
  await a.stop();
  await b.stop();
});

test('leader election: a success status whose body is not a Lease is a failed attempt, never a crash, and the retries go on', async () => {
  for (const method of ['GET', 'POST', 'PUT']) {
    for (const body of [undefined, '<html>proxy</html>', {}, { kind: 'Status' }, { metadata: null }, { metadata: {}, spec: 'x' }]) {
      const store = leaseStore();
      const e = new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'a', durationSeconds: 2, retryPeriodMs: 50 });
      // PUT only happens once the Lease exists.
      if (method === 'PUT') await new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'z', durationSeconds: 2 }).tryAcquire();
      store.lie = { method, body };
      const what = `${method} answered ${JSON.stringify(body)}`;
      assert.equal(await e.tryAcquire(), false, `${what}: not leader`);
      // The retry loop goes on after such an answer (a crash would end the test process).
      const before = store.requests;
      const changes: boolean[] = [];
      e.start((l) => changes.push(l));
      const until = Date.now() + 5000;
      while (store.requests < before + 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.ok(store.requests >= before + 3, `${what}: the elector keeps retrying`);
      await e.stop();
      assert.deepEqual(changes, [], `${what}: never became leader`);
    }
  }
});

test('leader election: the renew deadline must be shorter than the lease', () => {
  const store = leaseStore();
  assert.throws(() => new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'a', durationSeconds: 2, renewDeadlineMs: 2000 }), LeaseConfigError);
  const e = new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'a', durationSeconds: 15 });
  assert.equal(e.renewDeadlineMs, 10_000);
  assert.equal(e.retryPeriodMs, 2000);
});

test('leader election: a leader that cannot renew steps down at the renew deadline and aborts its term', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const store = leaseStore();
  const changes: boolean[] = [];
  const a = new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'a', durationSeconds: 3 });
  a.start((l) => changes.push(l));
  await waitFor(() => a.leader);
  const signal = a.signal!;
  assert.equal(signal.aborted, false);
  store.fail = true;
  for (let ms = 0; ms < a.renewDeadlineMs + a.retryPeriodMs && a.leader; ms += 100) { t.mock.timers.tick(100); await flush(); }
  assert.equal(a.leader, false, 'stepped down before the lease (3 s) could expire for others');
  assert.equal(signal.aborted, true, 'the in-flight work of the term is aborted');
  assert.deepEqual(changes, [true, false]);
  await a.stop();
});

test('leader election: a stop while an acquire is in flight does not re-arm the renew timer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const store = leaseStore();
  let open!: () => void;
  store.gate = new Promise<void>((r) => { open = r; });
  const a = new LeaderElector({ http: store, namespace: 'd', name: 'l', identity: 'a', durationSeconds: 3 });
  a.start(() => undefined);
  await flush();
  assert.equal(store.requests, 1, 'the first attempt is in flight');
  const stopped = a.stop();
  store.gate = undefined;
  open();
  await stopped;
  const after = store.requests;
  t.mock.timers.tick(60_000);
  await flush();
  assert.equal(store.requests, after, 'no attempt after stop');
  assert.equal(a.leader, false);
  assert.equal(store.holder, '', 'the Lease won during the stop was given up');
});

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await flush();
  assert.ok(cond());
}
void mock;

test('leadership lost: a cluster client refuses every further write before sending it; reads and dry runs still go out', async () => {
  // Port 1 on loopback refuses connections: anything that reaches the network fails as unreachable.
  const http = new KubeHttp({ server: 'https://127.0.0.1:1' }, 2000);
  const term = new AbortController();
  http.gateWrites(term.signal);
  await assert.rejects(http.request({ method: 'PATCH', path: '/api/v1/namespaces/a?fieldManager=gitfed', body: {} }), KubeUnreachableError, 'still leading: the write is sent');
  term.abort();
  const before = http.writes;
  await assert.rejects(http.request({ method: 'PATCH', path: '/api/v1/namespaces/a?fieldManager=gitfed', body: {} }), (e: unknown) => e instanceof WriteRefusedError && /PATCH \/api\/v1\/namespaces\/a not sent: leadership was lost/.test((e as Error).message));
  await assert.rejects(http.request({ method: 'DELETE', path: '/api/v1/namespaces/a' }), WriteRefusedError);
  assert.equal(http.writes, before, 'nothing counted as sent');
  await assert.rejects(http.request({ path: '/readyz' }), KubeUnreachableError, 'reads are not gated');
  await assert.rejects(http.request({ method: 'PATCH', path: '/api/v1/namespaces/a?dryRun=All', body: {} }), KubeUnreachableError, 'dry runs are not gated');
  http.close();
});
