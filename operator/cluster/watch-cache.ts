// An informer in miniature: LIST once, then WATCH and keep the objects in
// memory. The operator's reconcile reads these instead of listing every
// cluster on every tick, so a pass that finds nothing to do sends no LIST at
// all (and no health probe either: health-monitor.ts probes in the background).
//
// A member cluster (or anything in front of it) may answer a watch with
// anything: a 401/403/429/5xx with a Status body, an empty 5xx, a 200 that
// never sends a byte, an ERROR event (410 Gone), garbage. None of it reaches
// the cache as an event and none of it throws out of a stream listener.
// Every failure marks the cache not synced (readers then LIST themselves),
// records the error for status and metrics, and retries after an exponential
// backoff with jitter; the retry starts with a fresh LIST. A watch that
// delivers nothing, not even a bookmark, for the idle timeout is presumed
// half-open and reconnected, so a dead connection never serves a stale cache.
import type { KubeObject } from '../core/model.js';
import { type KubeHttp } from './kube-http.js';
import { KubeCredentialError, KubeUnreachableError, WatchIdleError, statusMessage } from './kube-types.js';

interface ListBody { metadata?: { resourceVersion?: string }; items?: KubeObject[] }

export interface WatchError {
  /** Stable code: HTTP_<status>, EWATCHIDLE, EUNREACHABLE, ECREDENTIALS, EWATCHEVENT, EWATCHGONE. */
  code: string;
  status?: number;
  message: string;
  /** ISO time of the first failure of this streak. */
  since: string;
}

export interface WatchState {
  kind: string;
  path: string;
  synced: boolean;
  objects: number;
  /** Set while the watch is failing; cleared when a watch is open again. */
  error?: WatchError;
  /** Failures since the cache started (for a counter metric). */
  failures: number;
}

export interface WatchCacheOptions {
  /** No event and no bookmark for this long -> reconnect (default 5 min). */
  idleTimeoutMs?: number;
  /** First retry delay; doubles per failure up to maxBackoffMs, each with jitter (default 500 ms .. 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Keeps only what gitfed reads of each object (memory). */
  project?: (o: KubeObject) => KubeObject;
}

/** Thrown inside the event handler: ends the stream, never reaches the cache. */
class WatchEventError extends Error {
  constructor(readonly errorCode: string, message: string, readonly status?: number) {
    super(message);
  }
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * Kubernetes resource versions are decimal integers without leading zeros
 * that compare by length, then digit by digit (KEP-5504, "comparable
 * resource versions"). Negative when `a` is older; undefined when either is
 * not such a number (then nothing is concluded from the order).
 */
export function compareResourceVersions(a: unknown, b: unknown): number | undefined {
  const ok = (v: unknown): v is string => typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v);
  if (!ok(a) || !ok(b)) return undefined;
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Does `o` belong in the collection at `path`? Only what the paths gitfed
 * watches use is understood (a namespace, equality label selectors,
 * metadata.name/namespace field selectors); anything else is "no", so a
 * written object is never put where the server would not list it.
 */
export function pathSelects(path: string, o: KubeObject): boolean {
  const [base, query = ''] = path.split('?', 2) as [string, string?];
  const ns = /\/namespaces\/([^/]+)\/[^/]+$/.exec(base!)?.[1];
  if (ns !== undefined && decodeURIComponent(ns) !== o.metadata.namespace) return false;
  const params = new URLSearchParams(query);
  for (const [name, value] of params) {
    if (name !== 'labelSelector' && name !== 'fieldSelector') return false;
    for (const term of value.split(',').filter(Boolean)) {
      const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
      if (!m) return false;
      const [, k, op, v] = m as unknown as [string, string, string, string];
      let actual: string | undefined;
      if (name === 'labelSelector') actual = o.metadata.labels?.[k];
      else if (k === 'metadata.name') actual = o.metadata.name;
      else if (k === 'metadata.namespace') actual = o.metadata.namespace;
      else return false;
      if ((op === '!=') === (actual === v)) return false;
    }
  }
  return true;
}
/** A watch that ran this long, or delivered events, was healthy: the backoff starts over. */
const HEALTHY_WATCH_MS = 10_000;

export const DEFAULT_WATCH_IDLE_TIMEOUT_MS = 300_000;

export class WatchCache {
  private readonly objects = new Map<string, KubeObject>();
  private rv = '';
  private readonly abort = new AbortController();
  private stopped = false;
  private error?: WatchError;
  private failures = 0;
  private first?: Promise<void>;
  synced = false;

  /** `path`: a collection path, optionally with a query (labelSelector, fieldSelector). */
  constructor(private readonly http: KubeHttp, readonly path: string, private readonly apiVersion: string, private readonly kind: string, private readonly opts: WatchCacheOptions = {}) {}

  items(): KubeObject[] {
    return [...this.objects.values()];
  }

  state(): WatchState {
    return { kind: this.kind, path: this.path, synced: this.synced, objects: this.objects.size, failures: this.failures, ...(this.error ? { error: this.error } : {}) };
  }

  /**
   * Read-your-writes: an object this process has just written (the
   * apiserver's answer), before its watch event arrives. Without it, the pass
   * after an apply can read the object as it was before that apply and report
   * gitfed's own change as drift. Taken only while the cache is behind the
   * write (its watch has not reached that resource version) and when the
   * object belongs to this collection; an older event for it is then ignored.
   */
  wrote(o: KubeObject): void {
    if (!this.synced || typeof o?.metadata?.name !== 'string') return;
    if (o.kind !== this.kind || o.apiVersion !== this.apiVersion || !pathSelects(this.path, o)) return;
    if ((compareResourceVersions(o.metadata.resourceVersion, this.rv) ?? 0) <= 0) return;
    const cur = this.objects.get(keyOf(o));
    if (cur && (compareResourceVersions(o.metadata.resourceVersion, cur.metadata.resourceVersion) ?? 0) <= 0) return;
    this.objects.set(keyOf(o), this.fix(structuredClone(o)));
  }

  private fix(o: KubeObject): KubeObject {
    o.apiVersion ??= this.apiVersion;
    o.kind ??= this.kind;
    return this.opts.project ? this.opts.project(o) : o;
  }

  private async list(): Promise<void> {
    const r = await this.http.request<ListBody>({ path: this.path });
    if (r.status !== 200 || !Array.isArray(r.body?.items)) {
      throw new WatchEventError(r.status === 200 ? 'EWATCHEVENT' : `HTTP_${r.status}`, `LIST ${this.path}: ${r.status === 200 ? 'the answer is not a list' : `HTTP ${r.status}: ${statusMessage(r)}`}`, r.status);
    }
    this.objects.clear();
    for (const o of r.body.items) if (o?.metadata?.name) this.objects.set(keyOf(o), this.fix(o));
    this.rv = r.body.metadata?.resourceVersion ?? '';
    this.synced = true;
  }

  /** One line of a 200 watch stream. Anything that is not a well-formed event ends the stream. */
  private onEvent(line: string): void {
    let ev: { type?: unknown; object?: any };
    try { ev = JSON.parse(line); } catch { throw new WatchEventError('EWATCHEVENT', `watch ${this.path}: an event that is not JSON: ${line.slice(0, 100)}`); }
    const obj = ev?.object;
    if (ev?.type === 'ERROR') {
      const code = typeof obj?.code === 'number' ? obj.code : undefined;
      throw new WatchEventError(code === 410 ? 'EWATCHGONE' : `HTTP_${code ?? 'ERROR'}`, `watch ${this.path}: ${typeof obj?.message === 'string' ? obj.message : 'ERROR event'}`, code);
    }
    if (typeof obj?.metadata !== 'object' || obj.metadata === null) throw new WatchEventError('EWATCHEVENT', `watch ${this.path}: a ${String(ev?.type)} event without an object`);
    const rv = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = String(rv);
      return;
    }
    if ((ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') || typeof obj.metadata.name !== 'string') {
      throw new WatchEventError('EWATCHEVENT', `watch ${this.path}: an unexpected event ${String(ev?.type).slice(0, 20)}`);
    }
    if (rv) this.rv = String(rv);
    // An event older than a write this process already holds (wrote()) is history.
    const cur = this.objects.get(keyOf(obj));
    if (cur && (compareResourceVersions(rv, cur.metadata.resourceVersion) ?? 0) < 0) return;
    if (ev.type === 'DELETED') this.objects.delete(keyOf(obj));
    else this.objects.set(keyOf(obj), this.fix(obj));
  }

  private fail(e: unknown, status?: number): void {
    if (this.stopped) return;
    const err = e as Error & { errorCode?: string; status?: number; code?: string };
    const code = err instanceof WatchEventError ? err.errorCode
      : err instanceof WatchIdleError || err instanceof KubeUnreachableError || err instanceof KubeCredentialError ? err.code
      : status !== undefined ? `HTTP_${status}` : 'EUNREACHABLE';
    this.failures++;
    this.synced = false;
    const st = err instanceof WatchEventError ? err.status : status;
    this.error = { code, ...(st !== undefined ? { status: st } : {}), message: err.message ?? String(e), since: this.error?.since ?? new Date().toISOString() };
  }

  /** First LIST (so callers can read right away), then keep watching in the background. Never throws. */
  start(): Promise<void> {
    if (!this.first) {
      let done!: () => void;
      this.first = new Promise((r) => { done = r; });
      // Belt and braces: nothing in the loop should throw, but if it ever does the
      // cache says so and starts over; it never becomes an unhandled rejection.
      const run = (): void => {
        this.loop(done).catch((e: unknown) => {
          this.fail(e);
          done();
          if (!this.stopped) setTimeout(run, this.opts.maxBackoffMs ?? 30_000);
        });
      };
      run();
    }
    return this.first;
  }

  private backoff(attempt: number): Promise<void> {
    const base = this.opts.backoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const ms = Math.min(max, base * 2 ** Math.min(attempt, 20)) * (0.5 + Math.random() / 2);
    return new Promise((resolve) => {
      const onAbort = () => { clearTimeout(t); resolve(); };
      const t = setTimeout(() => { this.abort.signal.removeEventListener('abort', onAbort); resolve(); }, ms);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async loop(firstDone: () => void): Promise<void> {
    const sep = this.path.includes('?') ? '&' : '?';
    let attempt = 0;
    let needList = true;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.list();
          needList = false;
        } catch (e) {
          this.fail(e);
        } finally {
          firstDone();
        }
        if (needList) { await this.backoff(attempt++); continue; }
      }
      const started = Date.now();
      let lines = 0;
      try {
        const end = await this.http.stream(`${this.path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion=${encodeURIComponent(this.rv)}`, {
          onLine: (line) => { this.onEvent(line); lines++; },
          onOpen: () => { this.error = undefined; }, // LIST and WATCH both work again
          signal: this.abort.signal, idleTimeoutMs: this.opts.idleTimeoutMs ?? DEFAULT_WATCH_IDLE_TIMEOUT_MS,
        });
        if (end.status !== 200) {
          this.fail(new Error(`watch ${this.path}: HTTP ${end.status}: ${statusMessage({ status: end.status, body: parseStatus(end.text), text: end.text })}`), end.status);
          needList = true;
        } else if (lines > 0 || Date.now() - started >= HEALTHY_WATCH_MS) {
          attempt = 0; // a healthy watch the server ended on time: resume from the last resourceVersion
          continue;
        }
        // A 200 that ended at once with nothing in it: retry, but never in a tight loop.
      } catch (e) {
        if (this.stopped) return;
        this.fail(e);
        needList = true;
      }
      // 410 Gone (our resourceVersion is too old) and every other failure relist;
      // the backoff grows until a watch works again, so nothing can make this a tight loop.
      if (lines > 0) attempt = 0;
      await this.backoff(attempt++);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }
}

function parseStatus(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}
