// Webhook deliveries: only a verified push to the watched branch triggers a
// fetch; ping, other events, other branches and redeliveries get 200 and
// trigger nothing; without a secret /metrics says so.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { startHttpServer } from '../../operator/loop/http-server.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { classifyWebhook } from '../../operator/loop/webhook.js';

async function withServer(secret: string | undefined, body: (post: (headers: Record<string, string>, payload: unknown) => Promise<Response>, pushes: string[], url: string) => Promise<void>): Promise<void> {
  const pushes: string[] = [];
  const srv = await startHttpServer({ host: '127.0.0.1', port: 0, ...(secret ? { webhookSecret: secret } : {}), branch: 'main', metrics: new Metrics(), ready: () => true, onPush: (p) => pushes.push(p) });
  const post = (headers: Record<string, string>, payload: unknown) => {
    const text = JSON.stringify(payload);
    const sig: Record<string, string> = secret ? { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(text).digest('hex')}` } : {};
    return fetch(`${srv.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...sig, ...headers }, body: text });
  };
  try { await body(post, pushes, srv.url); } finally { await srv.close(); }
}

test('webhook: GitHub ping and pushes to other branches answer 200 and trigger no fetch', () => withServer('s3cret', async (post, pushes) => {
  assert.equal((await post({ 'x-github-event': 'ping', 'x-github-delivery': randomUUID() }, { zen: 'hi' })).status, 200);
  assert.equal((await post({ 'x-github-event': 'push', 'x-github-delivery': randomUUID() }, { ref: 'refs/heads/gitfed/status' })).status, 200);
  assert.equal((await post({ 'x-github-event': 'issues', 'x-github-delivery': randomUUID() }, { action: 'opened' })).status, 200);
  assert.equal((await post({ 'x-gitea-event': 'push', 'x-gitea-delivery': randomUUID() }, { ref: 'refs/heads/dev' })).status, 200);
  assert.deepEqual(pushes, []);
  assert.equal((await post({ 'x-github-event': 'push', 'x-github-delivery': randomUUID() }, { ref: 'refs/heads/main' })).status, 202);
  assert.deepEqual(pushes, ['github']);
}));

test('webhook: a repeated delivery id triggers nothing the second time (GitHub, GitLab, Gitea ids)', () => withServer('s3cret', async (post, pushes) => {
  for (const header of ['x-github-delivery', 'x-gitlab-event-uuid', 'x-gitea-delivery']) {
    const id = randomUUID();
    assert.equal((await post({ [header]: id }, { ref: 'refs/heads/main' })).status, 202);
    const again = await post({ [header]: id }, { ref: 'refs/heads/main' });
    assert.equal(again.status, 200);
    assert.match(await again.text(), /seen before/);
  }
  assert.equal(pushes.length, 3, 'one fetch per distinct delivery');
}));

test('webhook: without a secret /metrics says so (gitfed_webhook_secret_configured 0); with one, 1', async () => {
  await withServer(undefined, async (_post, _pushes, url) => {
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^gitfed_webhook_secret_configured 0$/m);
  });
  await withServer('s3cret', async (_post, _pushes, url) => {
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^gitfed_webhook_secret_configured 1$/m);
  });
});

test('webhook: the commit a push names (after) is passed on as a hint; a deleted branch, a malformed id or none gives no hint', () => {
  const push = (payload: unknown) => classifyWebhook({ 'x-github-event': 'push' }, Buffer.from(JSON.stringify(payload)), 'main');
  const sha1 = 'a'.repeat(40);
  const sha256 = 'b'.repeat(64);
  assert.deepEqual(push({ ref: 'refs/heads/main', after: sha1 }), { fetch: true, after: sha1 });
  assert.deepEqual(push({ ref: 'refs/heads/main', after: sha256 }), { fetch: true, after: sha256 });
  assert.deepEqual(push({ ref: 'refs/heads/main', after: '0'.repeat(40) }), { fetch: true });
  assert.deepEqual(push({ ref: 'refs/heads/main', after: '../../etc/passwd' }), { fetch: true });
  assert.deepEqual(push({ ref: 'refs/heads/main', after: 42 }), { fetch: true });
  assert.deepEqual(push({ ref: 'refs/heads/main' }), { fetch: true });
  assert.deepEqual(push(null), { fetch: true });
  assert.equal(push({ ref: 'refs/heads/dev', after: sha1 }).fetch, false);
});

test('webhook: a verified push hands its after commit to onPush', async () => {
  const got: Array<string | undefined> = [];
  const srv = await startHttpServer({ host: '127.0.0.1', port: 0, webhookSecret: 's', branch: 'main', metrics: new Metrics(), ready: () => true, onPush: (_p, after) => got.push(after) });
  try {
    const text = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40) });
    const r = await fetch(`${srv.url}/webhook`, { method: 'POST', headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', 's').update(text).digest('hex')}` }, body: text });
    assert.equal(r.status, 202);
    assert.deepEqual(got, ['c'.repeat(40)]);
  } finally {
    await srv.close();
  }
});
