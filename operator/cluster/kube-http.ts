// A small HTTPS client for one kube-apiserver: keep-alive connections, a
// timeout on every request, JSON in and out. Apply and observe send many
// small requests to many clusters; a pooled agent per cluster and no extra
// layers is what keeps a no-op reconcile in the millisecond range.
import { Agent, request as httpsRequest } from 'node:https';

export interface KubeEndpoint {
  /** https://127.0.0.1:6443 */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  ca?: string;
  token?: string;
  clientCert?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  /** Extra headers, e.g. Authorization from a kubeconfig exec plugin. */
  headers?: Record<string, string>;
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

/** Transport failure (no HTTP answer): connection refused, timeout, TLS. */
export class KubeUnreachableError extends Error {
  readonly code = 'EUNREACHABLE';
  constructor(readonly server: string, override readonly cause: Error) {
    super(`${server}: ${cause.message}`);
  }
}

export class KubeHttp {
  private readonly agent: Agent;
  private readonly url: URL;
  /** Mutating requests sent (POST/PUT/PATCH/DELETE that are not dry runs): the "zero writes" proof. */
  writes = 0;
  requests = 0;

  constructor(readonly endpoint: KubeEndpoint, readonly defaultTimeoutMs = 10_000) {
    this.url = new URL(endpoint.server);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 64,
      ...(endpoint.ca ? { ca: endpoint.ca } : {}),
      ...(endpoint.clientCert ? { cert: endpoint.clientCert } : {}),
      ...(endpoint.clientKey ? { key: endpoint.clientKey } : {}),
      rejectUnauthorized: !endpoint.insecureSkipTlsVerify,
    });
  }

  request<T = any>(opts: RequestOptions): Promise<KubeResponse<T>> {
    const method = opts.method ?? 'GET';
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json', ...this.endpoint.headers };
    if (this.endpoint.token) headers.authorization = `Bearer ${this.endpoint.token}`;
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    this.requests++;
    if (method !== 'GET' && !opts.path.includes('dryRun=All')) this.writes++;
    const timeout = opts.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        protocol: 'https:', hostname: this.url.hostname, port: this.url.port || 443,
        path: (this.url.pathname.replace(/\/$/, '') + opts.path), method, headers, agent: this.agent,
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
        res.on('error', (e) => { clearTimeout(timer); reject(new KubeUnreachableError(this.endpoint.server, e)); });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeout} ms`)), timeout);
      req.on('error', (e) => { clearTimeout(timer); reject(new KubeUnreachableError(this.endpoint.server, e)); });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * A streaming GET (watch): calls onLine for each newline-delimited JSON
   * event. Resolves when the server ends the stream; rejects on transport
   * errors. Watches use their own connections, not the request pool.
   */
  stream(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<number> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.endpoint.headers };
    if (this.endpoint.token) headers.authorization = `Bearer ${this.endpoint.token}`;
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        protocol: 'https:', hostname: this.url.hostname, port: this.url.port || 443, path: this.url.pathname.replace(/\/$/, '') + path,
        method: 'GET', headers, agent: this.watchAgent, signal,
      }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) onLine(line);
          }
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private get watchAgent(): Agent {
    this._watchAgent ??= new Agent({ keepAlive: false, ...(this.endpoint.ca ? { ca: this.endpoint.ca } : {}), ...(this.endpoint.clientCert ? { cert: this.endpoint.clientCert } : {}), ...(this.endpoint.clientKey ? { key: this.endpoint.clientKey } : {}), rejectUnauthorized: !this.endpoint.insecureSkipTlsVerify });
    return this._watchAgent;
  }

  private _watchAgent?: Agent;

  close(): void {
    this.agent.destroy();
    this._watchAgent?.destroy();
  }
}

/** The server's message from a Status body, or the raw text. */
export function statusMessage(r: KubeResponse): string {
  const b = r.body as { message?: string } | undefined;
  return b?.message ?? (r.text.slice(0, 300) || `HTTP ${r.status}`);
}
