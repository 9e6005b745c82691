// isomorphic-git's Node http client with a timeout on every request: a git
// server that accepts the connection and then never answers (or stops in the
// middle of a pack) must fail the git call, not hang the operator forever.
// The timeout is an idle timeout: it restarts whenever the server sends
// something, so a large fetch that keeps making progress is not cut off.
import nodeHttp, { type GitHttpRequest, type GitHttpResponse, type HttpClient } from 'isomorphic-git/http/node';

export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

export class GitTimeoutError extends Error {
  readonly code = 'EGITTIMEOUT';
}

function origin(url: string): string {
  try { return new URL(url).origin; } catch { return 'the git server'; }
}

export function httpWithTimeout(timeoutMs: number, base: HttpClient = nodeHttp): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const ctrl = new AbortController();
      const outer = req.signal;
      const onOuterAbort = () => ctrl.abort(outer!.reason);
      outer?.addEventListener('abort', onOuterAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      let fail!: (e: Error) => void;
      const failed = new Promise<never>((_, reject) => { fail = reject; });
      failed.catch(() => undefined);
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const e = new GitTimeoutError(`${origin(req.url)} did not answer within ${timeoutMs / 1000}s (--git-timeout)`);
          ctrl.abort(e);
          fail(e);
        }, timeoutMs);
      };
      const done = () => { clearTimeout(timer); outer?.removeEventListener('abort', onOuterAbort); };
      ctrl.signal.addEventListener('abort', () => fail(ctrl.signal.reason instanceof Error ? ctrl.signal.reason : new Error('git request aborted')), { once: true });
      arm();
      let res: GitHttpResponse;
      try {
        res = await Promise.race([base.request({ ...req, signal: ctrl.signal }), failed]);
      } catch (e) {
        done();
        throw e;
      }
      if (!res.body) { done(); return res; }
      arm();
      const it = res.body[Symbol.asyncIterator]();
      const body: AsyncIterableIterator<Uint8Array> = {
        async next() {
          try {
            const r = await Promise.race([it.next(), failed]);
            if (r.done) done();
            else arm();
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
