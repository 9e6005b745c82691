// Push webhooks from GitHub (X-Hub-Signature-256: HMAC-SHA256 of the body),
// GitLab (X-Gitlab-Token: the shared secret) and Gitea (X-Gitea-Signature:
// hex HMAC-SHA256). Pure verification; the HTTP server decides what to do.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookVerdict = { ok: true; provider: 'github' | 'gitlab' | 'gitea' | 'none' } | { ok: false; reason: string };

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string | undefined): WebhookVerdict {
  const h = (k: string) => { const v = headers[k]; return Array.isArray(v) ? v[0] : v; };
  if (!secret) return { ok: true, provider: 'none' };
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const gh = h('x-hub-signature-256');
  if (gh !== undefined) return safeEqual(gh, `sha256=${hmac}`) ? { ok: true, provider: 'github' } : { ok: false, reason: 'bad X-Hub-Signature-256' };
  const gitea = h('x-gitea-signature');
  if (gitea !== undefined) return safeEqual(gitea, hmac) ? { ok: true, provider: 'gitea' } : { ok: false, reason: 'bad X-Gitea-Signature' };
  const gl = h('x-gitlab-token');
  if (gl !== undefined) return safeEqual(gl, secret) ? { ok: true, provider: 'gitlab' } : { ok: false, reason: 'bad X-Gitlab-Token' };
  return { ok: false, reason: 'no signature header (X-Hub-Signature-256, X-Gitlab-Token or X-Gitea-Signature)' };
}
