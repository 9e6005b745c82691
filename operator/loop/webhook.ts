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

export type WebhookAction = { fetch: true; delivery?: string; after?: string } | { fetch: false; reason: string; delivery?: string };

/** A commit id (SHA-1 or SHA-256); the all-zero one (a deleted branch) is refused where it is used. */
const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * What a verified delivery asks for. Only a push to the watched branch (or a
 * delivery without an event header, as before) triggers a fetch; GitHub's
 * `ping`, other events and pushes to other branches (gitfed's own status
 * branch among them) are answered 200 and trigger nothing. `after` is the
 * commit the payload says the branch now points at (GitHub, GitLab and
 * Gitea all send it): a hint for the fetch, never taken as the head itself.
 */
export function classifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, branch: string | undefined): WebhookAction {
  const h = (k: string) => { const v = headers[k]; return Array.isArray(v) ? v[0] : v; };
  const delivery = h('x-github-delivery') ?? h('x-gitlab-event-uuid') ?? h('x-gitea-delivery');
  const withId = <T extends object>(a: T) => (delivery ? { ...a, delivery } : a);
  const event = h('x-gitea-event') ?? h('x-github-event') ?? h('x-gitlab-event');
  if (event === 'ping') return withId({ fetch: false as const, reason: 'ping' });
  if (event !== undefined && !/^(push|push hook)$/i.test(event)) return withId({ fetch: false as const, reason: `event ${event} is not a push` });
  let payload: { ref?: unknown; after?: unknown } = {};
  try { payload = (JSON.parse(body.toString('utf8')) as typeof payload | null) ?? {}; } catch { payload = {}; }
  const { ref, after } = payload;
  if (branch && typeof ref === 'string' && ref !== `refs/heads/${branch}`) return withId({ fetch: false as const, reason: `push to ${ref}, not to the watched branch ${branch}` });
  return withId({ fetch: true as const, ...(typeof after === 'string' && COMMIT_ID.test(after) && !/^0+$/.test(after) ? { after } : {}) });
}

/** Delivery ids seen lately: a redelivered webhook triggers nothing the second time. */
export class RecentDeliveries {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 1000) {}

  /** Records the id; false when it was seen before. */
  first(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value!);
    return true;
  }
}
