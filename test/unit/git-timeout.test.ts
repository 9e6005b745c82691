// Every git request has a deadline (--git-timeout): a server that accepts the
// connection and never answers, or answers a byte now and then forever, fails
// the git call with EGITTIMEOUT instead of hanging it. Real TCP servers; no
// git server is needed for a request that never gets an answer.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import git from 'isomorphic-git';
import { GitAnswerTooLargeError, GitTimeoutError, httpWithTimeout } from '../../operator/git/http-timeout.js';

async function tcpServer(onConnection: (s: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => { sockets.add(s); s.on('error', () => undefined); onConnection(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fleet.git`,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref())]);
}

test('git timeout: a server that accepts the connection and never answers fails the call after --git-timeout', async () => {
  const srv = await tcpServer(() => undefined);
  try {
    const t0 = Date.now();
    await within(assert.rejects(git.listServerRefs({ http: httpWithTimeout(700), url: srv.url }), (e: Error) => e instanceof GitTimeoutError && /did not answer within 0\.7s/.test(e.message)), 10_000);
    assert.ok(Date.now() - t0 < 4000, 'the configured timeout applies, not some other one');
  } finally {
    await srv.close();
  }
});

test('git timeout: a server that trickles a byte now and then never ends the call; the deadline does', async () => {
  const timers: NodeJS.Timeout[] = [];
  const srv = await tcpServer((s) => {
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\ncontent-type: application/x-git-upload-pack-advertisement\r\ntransfer-encoding: chunked\r\n\r\n');
      timers.push(setInterval(() => s.write('1\r\n0\r\n'), 200));
    });
  });
  try {
    // isomorphic-git reports the cut-off body in its own words; what matters is that the call ends.
    await within(assert.rejects(git.listServerRefs({ http: httpWithTimeout(1500), url: srv.url })), 10_000);
  } finally {
    for (const t of timers) clearInterval(t);
    await srv.close();
  }
});

test('git answer size: a server that sends without end is cut at the bound (the socket closed), long before the deadline', async () => {
  let sent = 0;
  let closed = false;
  const srv = await tcpServer((s) => {
    s.once('data', () => {
      // A well-formed ref advertisement that never ends: branch after branch.
      const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
      const oid = 'a'.repeat(40);
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/x-git-upload-pack-advertisement\r\n\r\n${pkt('# service=git-upload-pack\n')}0000${pkt(`${oid} HEAD\0side-band-64k\n`)}`);
      let n = 0;
      const chunk = () => { let c = ''; while (c.length < 64 * 1024) c += pkt(`${oid} refs/heads/branch-${n++}\n`); return c; };
      const more = () => { for (let c = chunk(); !s.destroyed && s.write(c); c = chunk()) sent += c.length; };
      s.on('drain', more);
      s.on('close', () => { closed = true; });
      more();
    });
  });
  try {
    // Read to the end, as isomorphic-git does with a fetched pack.
    const http = httpWithTimeout(60_000, undefined, 4 * 1024 * 1024);
    const readAll = async () => {
      const res = await http.request({ url: `${srv.url}/info/refs?service=git-upload-pack`, method: 'GET', headers: {} });
      for await (const _ of res.body!) { /* collected by isomorphic-git in real use */ }
    };
    await within(assert.rejects(readAll(), (e: Error) => {
      assert.ok(e instanceof GitAnswerTooLargeError, `${e.name}: ${e.message.slice(0, 200)}`);
      assert.match(e.message, /sent more than 4 MiB in one answer/);
      return true;
    }), 20_000);
    // Wait for the condition: the server sees its connection go.
    for (let i = 0; i < 200 && !closed; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(closed, 'the transfer is stopped, not just no longer read');
    assert.ok(sent < 64 * 1024 * 1024, `the server got to send ${sent} bytes`);
  } finally {
    await srv.close();
  }
});
