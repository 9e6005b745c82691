// A small HTTPS client for one kube-apiserver: one HTTP/2 connection for
// every request and watch of the cluster (kube-h2.ts; HTTP/1.1 with a pooled
// agent when the server does not offer h2), a timeout on every request, JSON
// in and out. Apply and observe send many small requests to many clusters; a
// shared connection and no extra layers is what keeps a no-op reconcile in
// the millisecond range.
//
// Credentials may change while the operator runs (exec plugins, rotated token
// files, a rotated kubeconfig): with a CredentialSource the endpoint is asked
// for before each request, and a 401 makes it re-read everything and retry once.
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientHttp2Stream } from 'node:http2';
import { Agent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { LineSplitter } from './line-splitter.js';
import { KubeCredentialError, KubeUnreachableError, WatchIdleError, WriteRefusedError, type CredentialSource, type KubeEndpoint, type KubeResponse, type RequestOptions, type StreamEnd, type StreamOptions } from './kube-types.js';
import { CANCEL, H2Connection, h2Headers, refused, StreamRefusedError, type Transport } from './kube-h2.js';

const MAX_ERROR_BODY = 64 * 1024;
const MAX_LINE = 64 * 1024 * 1024;
/**
 * The most one answer may hold. gitfed reads labelled LISTs and single
 * objects, far below this; a server (or proxy) that sends more is lying, and
 * buffering it would take the whole operator down (out of memory, or a
 * string longer than V8 allows), not just this cluster's request.
 */
export const MAX_BODY = 128 * 1024 * 1024;

function tlsKey(e: KubeEndpoint): string {
  return JSON.stringify([e.ca, e.clientCert, e.clientKey, !!e.insecureSkipTlsVerify, e.tlsServerName]);
}

export function authKey(e: KubeEndpoint): string {
  return JSON.stringify([e.server, e.token, e.headers, tlsKey(e)]);
}

export class KubeHttp {
  private agent!: Agent;
  private watchAgentFor?: Agent;
  private conn!: H2Connection;
  private agentKey = '';
  private ep: KubeEndpoint;
  private readonly source?: CredentialSource;
  /** Mutating requests sent (POST/PUT/PATCH/DELETE that are not dry runs): the "zero writes" proof. */
  writes = 0;
  requests = 0;
  /**
   * Requests and watches that ended without an HTTP answer (refused, reset,
   * timed out, closed mid-stream). The health monitor compares it with the
   * count at its last probe: a Ready verdict is not trusted past a lost connection.
   */
  transportFailures = 0;
  /** Once aborted (leadership lost), every further write is refused before it is sent. */
  private writeGate?: AbortSignal;

  constructor(endpoint: KubeEndpoint | CredentialSource, readonly defaultTimeoutMs = 10_000, initial?: KubeEndpoint) {
    if ('current' in endpoint) {
      this.source = endpoint;
      this.ep = initial ?? { server: 'https://unresolved.invalid' };
    } else {
      this.ep = endpoint;
    }
    this.useAgents(this.ep);
  }

  /** HTTP/2 (one connection for every request and watch) or HTTP/1.1 (the server does not offer h2); undefined before the first request. */
  get protocol(): 'h2' | 'http/1.1' | undefined {
    return this.conn.protocol;
  }

  /** The endpoint used last (its server names the cluster in messages). */
  get endpoint(): KubeEndpoint {
    return this.ep;
  }

  private useAgents(ep: KubeEndpoint): void {
    const key = JSON.stringify([ep.server, tlsKey(ep)]);
    if (key === this.agentKey) return;
    const old = [this.agent, this.watchAgentFor];
    const oldConn = this.conn;
    // One TLS context for every socket to this cluster: without it each
    // connection (a watch stream each, about 16 per cluster) parses the CA,
    // certificate and key into a context of its own, which a fleet of 100
    // clusters pays in native memory outside the JS heap.
    // A CA or key that does not parse is not thrown here: each request then
    // fails with that error, as a value for this cluster only.
    const material = { ...(ep.ca ? { ca: ep.ca } : {}), ...(ep.clientCert ? { cert: ep.clientCert } : {}), ...(ep.clientKey ? { key: ep.clientKey } : {}) };
    let context: { secureContext: SecureContext } | typeof material;
    try { context = { secureContext: createSecureContext(material) }; } catch { context = material; }
    const tls = { ...context, ...(ep.tlsServerName ? { servername: ep.tlsServerName } : {}), rejectUnauthorized: !ep.insecureSkipTlsVerify };
    this.agent = new Agent({ keepAlive: true, maxSockets: 64, ...tls });
    this.watchAgentFor = new Agent({ keepAlive: false, ...tls });
    this.conn = new H2Connection(ep.server, tls, this.defaultTimeoutMs);
    this.agentKey = key;
    // Requests in flight on the old agents finish (their own timeouts bound them); then the sockets go.
    for (const a of old) if (a) setTimeout(() => a.destroy(), 60_000).unref();
    if (oldConn) setTimeout(() => oldConn.close(), 60_000).unref();
  }

  /** HTTP/2 or HTTP/1.1 for this cluster, waiting at most `ms` for the connection. */
  private transport(ep: KubeEndpoint, ms: number): Promise<Transport> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms); });
    return Promise.race([this.conn.transport(), late])
      .catch((e) => { this.transportFailures++; throw new KubeUnreachableError(ep.server, e as Error); })
      .finally(() => clearTimeout(timer));
  }

  /**
   * Start one request on whichever transport the cluster speaks. `onResponse`
   * gets the status, the headers and the body to read; `onError` a transport
   * failure. Returns how to give up on it (a timeout, an idle watch).
   */
  private open(t: Transport, ep: KubeEndpoint, o: { method: string; path: string; headers: Record<string, string>; payload?: string; signal?: AbortSignal; agent: Agent },
    onResponse: (status: number, headers: IncomingHttpHeaders, body: Readable) => void, onError: (e: Error) => void): (why: 'timeout' | 'done') => void {
    const url = new URL(ep.server);
    const path = url.pathname.replace(/\/$/, '') + o.path;
    if (t !== 'http/1.1') {
      let req: ClientHttp2Stream;
      try {
        req = this.conn.request(t.h2, h2Headers(o.method, path, o.headers), o.payload === undefined, o.signal);
      } catch (e) {
        // The session closed between choosing it and now (a GOAWAY): a transport failure like any other, told after the caller set up.
        process.nextTick(() => onError(e as Error));
        return () => undefined;
      }
      let answered = false;
      const failed = (e: Error) => onError(!answered && refused(req, e) ? new StreamRefusedError('the server refused the stream before processing it (HTTP/2 REFUSED_STREAM)') : e);
      req.on('response', (h) => { answered = true; onResponse(Number(h[':status'] ?? 0), h as IncomingHttpHeaders, req); });
      req.on('error', failed);
      req.on('close', () => { if (!answered) failed(new Error(`the stream closed before an answer (HTTP/2 code ${req.rstCode ?? 0})`)); });
      if (o.payload !== undefined) req.end(o.payload);
      return (why) => { if (why === 'timeout') this.conn.suspect(); if (!req.closed) req.close(CANCEL); };
    }
    const req = httpsRequest({
      protocol: 'https:', hostname: url.hostname, port: url.port || 443, path, method: o.method, headers: o.headers, agent: o.agent, ...(o.signal ? { signal: o.signal } : {}),
    }, (res) => onResponse(res.statusCode ?? 0, res.headers, res));
    req.on('error', onError);
    if (o.payload !== undefined) req.write(o.payload);
    req.end();
    return (why) => req.destroy(why === 'timeout' ? new Error('timed out') : undefined);
  }

  /**
   * The endpoint, waiting at most `ms` for its credentials: a request does
   * not wait out an exec plugin's whole timeout (the plugin keeps running,
   * and the next request gets its answer).
   */
  private async resolveWithin(ms: number): Promise<KubeEndpoint> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new KubeCredentialError(`${this.ep.server}: no credentials within ${ms} ms (the exec plugin is still running)`)), ms); });
    try {
      return await Promise.race([this.resolve(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async resolve(): Promise<KubeEndpoint> {
    if (!this.source) return this.ep;
    let ep: KubeEndpoint;
    try {
      ep = await this.source.current();
    } catch (e) {
      throw e instanceof KubeCredentialError ? e : new KubeCredentialError((e as Error).message);
    }
    if (ep === this.ep) return ep; // unchanged since the last request: nothing to compare
    this.ep = ep;
    this.useAgents(ep);
    return ep;
  }

  private headersFor(ep: KubeEndpoint): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...ep.headers };
    if (ep.token) headers.authorization = `Bearer ${ep.token}`;
    return headers;
  }

  /**
   * Refuse writes once `signal` is aborted: an operator that lost its lease
   * stops writing at once, not only at the end of the cluster stage (a write
   * already sent cannot be taken back; the next one is never sent).
   */
  gateWrites(signal: AbortSignal | undefined): void {
    this.writeGate = signal;
  }

  async request<T = any>(opts: RequestOptions): Promise<KubeResponse<T>> {
    const method = opts.method ?? 'GET';
    if (method !== 'GET' && !opts.path.includes('dryRun=All') && this.writeGate?.aborted) {
      throw new WriteRefusedError(`${this.ep.server}: ${method} ${opts.path.split('?')[0]} not sent: leadership was lost`);
    }
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    this.requests++;
    if (method !== 'GET' && !opts.path.includes('dryRun=All')) this.writes++;
    const ep = await this.resolveWithin(opts.timeoutMs ?? this.defaultTimeoutMs);
    const r = await this.send<T>(ep, method, opts, payload);
    if (r.status !== 401 || !this.source) return r;
    // Rotated token file, expired exec credential, replaced kubeconfig: read them again, retry once.
    this.source.invalidate(ep);
    const next = await this.resolveWithin(opts.timeoutMs ?? this.defaultTimeoutMs);
    return authKey(next) === authKey(ep) ? r : this.send<T>(next, method, opts, payload);
  }

  /** One request within its timeout; a stream the server refused unprocessed is sent again (at most 3 times in all). */
  private async send<T>(ep: KubeEndpoint, method: string, opts: RequestOptions, payload: string | undefined): Promise<KubeResponse<T>> {
    const timeout = opts.timeoutMs ?? this.defaultTimeoutMs;
    const deadline = Date.now() + timeout;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce<T>(ep, method, opts, payload, timeout, deadline);
      } catch (e) {
        if (!(e instanceof KubeUnreachableError && e.cause instanceof StreamRefusedError) || attempt >= 3 || Date.now() >= deadline) throw e;
      }
    }
  }

  private async sendOnce<T>(ep: KubeEndpoint, method: string, opts: RequestOptions, payload: string | undefined, timeout: number, deadline: number): Promise<KubeResponse<T>> {
    const headers = this.headersFor(ep);
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const t = await this.transport(ep, Math.max(1, deadline - Date.now()));
    const left = Math.max(1, deadline - Date.now());
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      // A refused stream is the server's answer, not a lost connection: not a transport failure for the health monitor.
      const fail = (e: Error) => { if (done) return; done = true; clearTimeout(timer); if (!(e instanceof StreamRefusedError)) this.transportFailures++; reject(new KubeUnreachableError(ep.server, e)); };
      const cancel = this.open(t, ep, { method, path: opts.path, headers, ...(payload !== undefined ? { payload } : {}), agent: this.agent }, (status, h, res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        let ended = false;
        res.on('data', (c: Buffer) => {
          if (done) return;
          bytes += c.length;
          if (bytes <= MAX_BODY) { chunks.push(c); return; }
          chunks.length = 0;
          cancel('done');
          fail(new Error(`the answer to ${method} ${opts.path.split('?')[0]} is larger than ${MAX_BODY / 1024 / 1024} MiB`));
        });
        res.on('close', () => { if (!ended) fail(new Error('the connection closed mid-response')); });
        res.on('end', () => {
          ended = true;
          if (done) return;
          done = true;
          clearTimeout(timer);
          // Nothing may throw out of this listener: it would be uncaught.
          let text = '';
          let body: unknown = undefined;
          try {
            text = Buffer.concat(chunks).toString('utf8');
            if (text && String(h['content-type'] ?? '').includes('json')) body = JSON.parse(text);
          } catch { body = undefined; }
          resolve({ status, body: body as T, text });
        });
        res.on('error', fail);
      }, fail);
      timer = setTimeout(() => { cancel('timeout'); fail(new Error(`no answer within ${timeout} ms`)); }, left);
    });
  }

  /**
   * A streaming GET (watch). A 200 answer calls onLine for each
   * newline-delimited JSON event; any other status is read (bounded) and
   * returned, never handed to onLine. Resolves when the server ends the
   * stream; rejects on transport errors, on an exception from onLine, and
   * with WatchIdleError when nothing (not even the response headers) arrives
   * for idleTimeoutMs. Watches use their own connections, not the request pool.
   */
  async stream(path: string, { onLine, onOpen, signal, idleTimeoutMs = 300_000 }: StreamOptions): Promise<StreamEnd> {
    const ep = await this.resolveWithin(Math.min(idleTimeoutMs, this.defaultTimeoutMs));
    const t = await this.transport(ep, Math.min(idleTimeoutMs, this.defaultTimeoutMs));
    const end = await new Promise<StreamEnd>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      let cancel: (why: 'timeout' | 'done') => void = () => undefined;
      let over = false; // failed: later chunks of the cancelled stream reach no one
      const fail = (e: Error, why: 'timeout' | 'done' = 'done') => { over = true; clearTimeout(idle); cancel(why); reject(e); };
      // The connection, not the events, failed (an exception from onLine is not counted).
      const lost = (e: Error, why: 'timeout' | 'done' = 'done') => { if (!signal?.aborted) this.transportFailures++; fail(e, why); };
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => lost(new WatchIdleError(`watch ${path}: nothing received for ${idleTimeoutMs} ms`), 'timeout'), idleTimeoutMs);
      };
      cancel = this.open(t, ep, { method: 'GET', path, headers: this.headersFor(ep), signal, agent: this.watchAgentFor! }, (status, _h, res) => {
        arm();
        let errorBody = '';
        const events = new LineSplitter(onLine, MAX_LINE, `watch ${path}`);
        res.setEncoding('utf8');
        if (status === 200) onOpen?.();
        res.on('data', (chunk: string) => {
          if (over) return;
          arm();
          if (status !== 200) {
            if (errorBody.length < MAX_ERROR_BODY) errorBody += chunk.slice(0, MAX_ERROR_BODY - errorBody.length);
            return;
          }
          // An exception from onLine, or an endless line: the events failed, not the connection.
          try { events.push(chunk); } catch (e) { fail(e as Error); }
        });
        let ended = false;
        res.on('end', () => { ended = true; clearTimeout(idle); resolve({ status, text: status === 200 ? '' : errorBody, lines: events.lines }); });
        res.on('error', (e) => lost(e));
        res.on('close', () => { if (!ended) lost(new Error(`watch ${path}: the connection closed mid-response`)); });
      }, (e) => lost(e));
      arm();
    });
    if (end.status === 401) this.source?.invalidate(ep);
    return end;
  }

  close(): void {
    this.agent.destroy();
    this.watchAgentFor?.destroy();
    this.conn.close();
  }
}
