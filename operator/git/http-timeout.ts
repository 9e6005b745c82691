// isomorphic-git's Node http client with a deadline on every request: a git
// server that accepts the connection and then never answers, stops in the
// middle of a pack, or trickles a byte now and then must fail the git call,
// not hang the operator. The deadline covers the whole request (headers and
// body). Requests go through agents of our own with an idle timeout: a server
// that goes silent (accepts, never answers) fails the call after IDLE_MS, so
// the tick goes on to heal the clusters without waiting for the whole
// deadline; a server that trickles a byte now and then is never idle, and
// only the deadline (--git-timeout) stops it.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import nodeHttp, { type GitHttpRequest, type GitHttpResponse, type HttpClient } from 'isomorphic-git/http/node';

/** No byte for this long: the git server is stalled (a busy server still sends progress). */
export const GIT_IDLE_MS = 10_000;
const agents = { http: new HttpAgent({ keepAlive: true, timeout: GIT_IDLE_MS }), https: new HttpsAgent({ keepAlive: true, timeout: GIT_IDLE_MS }) };

export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

export class GitTimeoutError extends Error {
  readonly code = 'EGITTIMEOUT';
}

/**
 * The most one git answer may hold. isomorphic-git keeps a fetched pack in
 * memory (and its Node client queues what arrives without backpressure), so
 * a server or proxy that sends without end would run the operator out of
 * memory before --git-timeout ends the call; a fleet repo is far smaller.
 */
export const GIT_MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export class GitAnswerTooLargeError extends Error {
  readonly code = 'EGITTOOLARGE';
}

function origin(url: string): string {
  try { return new URL(url).origin; } catch { return 'the git server'; }
}

export function httpWithTimeout(timeoutMs: number, base: HttpClient = nodeHttp, maxBytes = GIT_MAX_ANSWER_BYTES): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const ctrl = new AbortController();
      const outer = req.signal;
      const onOuterAbort = () => ctrl.abort(outer!.reason);
      outer?.addEventListener('abort', onOuterAbort, { once: true });
      let fail!: (e: Error) => void;
      const failed = new Promise<never>((_, reject) => { fail = reject; });
      failed.catch(() => undefined);
      const timer = setTimeout(() => {
        const e = new GitTimeoutError(`${origin(req.url)} did not answer within ${timeoutMs / 1000}s (--git-timeout)`);
        ctrl.abort(e);
        fail(e);
      }, timeoutMs);
      // A body nobody reads must not keep the process alive (e.g. `run --once`).
      timer.unref();
      const done = () => { clearTimeout(timer); outer?.removeEventListener('abort', onOuterAbort); };
      ctrl.signal.addEventListener('abort', () => fail(ctrl.signal.reason instanceof Error ? ctrl.signal.reason : new Error('git request aborted')), { once: true });
      let res: GitHttpResponse;
      const agent = req.agent ?? (req.url.startsWith('https:') ? agents.https : agents.http);
      try {
        res = await Promise.race([base.request({ ...req, agent, signal: ctrl.signal }), failed]);
      } catch (e) {
        done();
        throw e;
      }
      if (!res.body) { done(); return res; }
      const it = res.body[Symbol.asyncIterator]();
      let bytes = 0;
      const body: AsyncIterableIterator<Uint8Array> = {
        async next() {
          try {
            const r = await Promise.race([it.next(), failed]);
            if (r.done) done();
            else if ((bytes += r.value?.byteLength ?? 0) > maxBytes) {
              // Stop the transfer itself, not only this read: the socket goes.
              const e = new GitAnswerTooLargeError(`${origin(req.url)} sent more than ${Math.round(maxBytes / 1024 / 1024)} MiB in one answer; gitfed stopped reading it`);
              ctrl.abort(e);
              throw e;
            }
            return r;
          } catch (e) {
            done();
            throw e;
          }
        },
        async return() {
          done();
          await it.return?.();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() { return this; },
      };
      return { ...res, body };
    },
  };
}
