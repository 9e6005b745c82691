// A small HTTPS client for one kube-apiserver: keep-alive connections, a
// timeout on every request, JSON in and out. Apply and observe send many
// small requests to many clusters; a pooled agent per cluster and no extra
// layers is what keeps a no-op reconcile in the millisecond range.
//
// Credentials may change while the operator runs (exec plugins, rotated token
// files, a rotated kubeconfig): with a CredentialSource the endpoint is asked
// for before each request, and a 401 makes it re-read everything and retry once.
import { Agent, request as httpsRequest } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface KubeEndpoint {
  /** https://127.0.0.1:6443 */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  ca?: string;
  token?: string;
  clientCert?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  /** The name the server's certificate is checked against (kubeconfig tls-server-name). */
  tlsServerName?: string;
  /** Extra headers, e.g. Authorization from basic auth or an auth provider. */
  headers?: Record<string, string>;
}

/** Where an endpoint comes from when it can change (a kubeconfig file, an exec plugin). */
export interface CredentialSource {
  /** The endpoint to use now; cheap when nothing changed. Rejects with KubeCredentialError. */
  current(): Promise<KubeEndpoint>;
  /** After a 401: forget cached credentials so the next current() reads them again. */
  invalidate(): void;
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  /** Raw text when the body is not JSON. */
  text: string;
}

export interface RequestOptions {
  method?: string;
  path: string;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export interface StreamOptions {
  /** Each newline-delimited line of a 200 answer. An exception ends the stream (the promise rejects). */
  onLine: (line: string) => void;
  /** The server answered 200: the stream is open. */
  onOpen?: () => void;
  signal: AbortSignal;
  /** Nothing received (not even the response headers) for this long: reject with WatchIdleError (default 5 min). */
  idleTimeoutMs?: number;
}

/** How a watch stream ended without a transport error. */
export interface StreamEnd {
  status: number;
  /** The body of a non-200 answer (never handed to onLine), at most 64 KiB. */
  text: string;
  /** Lines handed to onLine. */
  lines: number;
}

/** Transport failure (no HTTP answer): connection refused, timeout, TLS. */
export class KubeUnreachableError extends Error {
  readonly code = 'EUNREACHABLE';
  constructor(readonly server: string, override readonly cause: Error) {
    super(`${server}: ${cause.message}`);
  }
}

/** A write not sent because the operator lost its lease (see KubeHttp.gateWrites). */
export class WriteRefusedError extends Error {
  readonly code = 'ELEADERSHIP';
}

/** The credentials could not be produced (exec plugin failed, token file unreadable, kubeconfig broken). */
export class KubeCredentialError extends Error {
  readonly code = 'ECREDENTIALS';
}

/** A watch delivered nothing (no event, no bookmark) for the idle timeout: the connection is presumed half-open. */
export class WatchIdleError extends Error {
  readonly code = 'EWATCHIDLE';
}

const MAX_ERROR_BODY = 64 * 1024;
const MAX_LINE = 64 * 1024 * 1024;

function tlsKey(e: KubeEndpoint): string {
  return JSON.stringify([e.ca, e.clientCert, e.clientKey, !!e.insecureSkipTlsVerify, e.tlsServerName]);
}

function authKey(e: KubeEndpoint): string {
  return JSON.stringify([e.server, e.token, e.headers, tlsKey(e)]);
}

export class KubeHttp {
  private agent!: Agent;
  private watchAgentFor?: Agent;
  private agentKey = '';
  private ep: KubeEndpoint;
  private readonly source?: CredentialSource;
  /** Mutating requests sent (POST/PUT/PATCH/DELETE that are not dry runs): the "zero writes" proof. */
  writes = 0;
  requests = 0;
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

  /** The endpoint used last (its server names the cluster in messages). */
  get endpoint(): KubeEndpoint {
    return this.ep;
  }

  private useAgents(ep: KubeEndpoint): void {
    const key = tlsKey(ep);
    if (key === this.agentKey) return;
    const old = [this.agent, this.watchAgentFor];
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
    this.agentKey = key;
    // Requests in flight on the old agents finish (their own timeouts bound them); then the sockets go.
    for (const a of old) if (a) setTimeout(() => a.destroy(), 60_000).unref();
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
    const ep = await this.resolve();
    const r = await this.send<T>(ep, method, opts, payload);
    if (r.status !== 401 || !this.source) return r;
    // Rotated token file, expired exec credential, replaced kubeconfig: read them again, retry once.
    this.source.invalidate();
    const next = await this.resolve();
    return authKey(next) === authKey(ep) ? r : this.send<T>(next, method, opts, payload);
  }

  private send<T>(ep: KubeEndpoint, method: string, opts: RequestOptions, payload: string | undefined): Promise<KubeResponse<T>> {
    const url = new URL(ep.server);
    const headers = this.headersFor(ep);
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const timeout = opts.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        protocol: 'https:', hostname: url.hostname, port: url.port || 443,
        path: (url.pathname.replace(/\/$/, '') + opts.path), method, headers, agent: this.agent,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = undefined;
          if (text && (res.headers['content-type'] ?? '').includes('json')) {
            try { body = JSON.parse(text); } catch { body = undefined; }
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, text });
        });
        res.on('error', (e) => { clearTimeout(timer); reject(new KubeUnreachableError(ep.server, e)); });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeout} ms`)), timeout);
      req.on('error', (e) => { clearTimeout(timer); reject(new KubeUnreachableError(ep.server, e)); });
      if (payload !== undefined) req.write(payload);
      req.end();
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
    const ep = await this.resolve();
    const url = new URL(ep.server);
    const end = await new Promise<StreamEnd>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const fail = (e: Error) => { clearTimeout(idle); req.destroy(); reject(e); };
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => fail(new WatchIdleError(`watch ${path}: nothing received for ${idleTimeoutMs} ms`)), idleTimeoutMs);
      };
      const req = httpsRequest({
        protocol: 'https:', hostname: url.hostname, port: url.port || 443, path: url.pathname.replace(/\/$/, '') + path,
        method: 'GET', headers: this.headersFor(ep), agent: this.watchAgentFor, signal,
      }, (res) => {
        arm();
        const status = res.statusCode ?? 0;
        let buf = '';
        let lines = 0;
        res.setEncoding('utf8');
        if (status === 200) onOpen?.();
        res.on('data', (chunk: string) => {
          arm();
          if (status !== 200) {
            if (buf.length < MAX_ERROR_BODY) buf += chunk.slice(0, MAX_ERROR_BODY - buf.length);
            return;
          }
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (!line.trim()) continue;
            lines++;
            try {
              onLine(line);
            } catch (e) {
              fail(e as Error);
              return;
            }
          }
          if (buf.length > MAX_LINE) fail(new Error(`watch ${path}: an event longer than ${MAX_LINE} bytes`));
        });
        let ended = false;
        res.on('end', () => { ended = true; clearTimeout(idle); resolve({ status, text: status === 200 ? '' : buf, lines }); });
        res.on('error', (e) => fail(e));
        res.on('close', () => { if (!ended) fail(new Error(`watch ${path}: the connection closed mid-response`)); });
      });
      arm();
      req.on('error', (e) => { clearTimeout(idle); reject(e); });
      req.end();
    });
    if (end.status === 401) this.source?.invalidate();
    return end;
  }

  close(): void {
    this.agent.destroy();
    this.watchAgentFor?.destroy();
  }
}

/** The server's message from a Status body, or the raw text. */
export function statusMessage(r: KubeResponse): string {
  const b = r.body as { message?: string } | undefined;
  return (typeof b?.message === 'string' ? b.message : undefined) ?? (r.text.slice(0, 300) || `HTTP ${r.status}`);
}
