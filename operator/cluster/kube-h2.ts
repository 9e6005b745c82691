// One connection per cluster, as client-go keeps: HTTP/2 when the server
// offers it (every kube-apiserver does), so every request and every watch
// stream of a cluster share one TLS connection. Over HTTP/1.1 each watch
// stream holds a connection of its own (about 16 per cluster) and the request
// pool keeps more alive; each costs about 125 KB of native memory (TLS and
// socket buffers), some 200 MB for a fleet of 100 clusters.
//
// A server that does not offer h2 in ALPN (a TLS-terminating proxy in front
// of the apiserver, say) is spoken to over HTTP/1.1 as before: the choice is
// made per connection, from the TLS handshake, never assumed.
//
// A connection can die without a word (a half-open TCP connection): when a
// request gets no answer in time, or a watch stays silent, the session is
// asked for a PING; no answer within the bound and the session is dropped, so
// the next request opens a new one instead of waiting on a dead one forever.
//
// A stream the server refuses (RST_STREAM REFUSED_STREAM, or one above the
// last stream id of a GOAWAY: an apiserver closes idle connections after 90 s,
// and a request can cross that GOAWAY on the wire) was not processed at all,
// so it is sent again, as Go's HTTP/2 client does (RFC 9113, 8.7). And a
// session is used only once the server's SETTINGS arrived, so a burst on a
// new connection is held to the server's stream limit by the client.
import { connect as h2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/** What the TLS handshake chose: an open HTTP/2 session, or HTTP/1.1. */
export type Transport = { h2: ClientHttp2Session } | 'http/1.1';

const PING_TIMEOUT_MS = 5_000;

export class H2Connection {
  private pending?: Promise<Transport>;
  private session?: ClientHttp2Session;
  private http1 = false;
  private active = 0;
  private pinging = false;
  private closed = false;

  constructor(private readonly server: string, private readonly tls: ConnectionOptions, private readonly connectTimeoutMs: number) {}

  /** What the last TLS handshake chose ('h2' or 'http/1.1'); undefined before the first one or while no session is open. */
  get protocol(): 'h2' | 'http/1.1' | undefined {
    return this.http1 ? 'http/1.1' : this.session && !this.session.destroyed ? 'h2' : undefined;
  }

  /** The transport to use now; opens the session on first use and after it was dropped. Rejects when TLS fails or takes longer than the bound. */
  transport(): Promise<Transport> {
    if (this.http1) return Promise.resolve('http/1.1');
    if (this.closed) return Promise.reject(new Error('the connection was closed'));
    // Closing (a GOAWAY, an error) takes no new streams: open a new session.
    if (this.session && (this.session.closed || this.session.destroyed)) { this.session = undefined; this.pending = undefined; }
    this.pending ??= this.open().catch((e) => { this.pending = undefined; throw e; });
    return this.pending;
  }

  /** Send one request on the session; the session stays referenced (keeps the process alive) while any stream is open. */
  request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, endStream: boolean, signal?: AbortSignal): ClientHttp2Stream {
    const stream = session.request(headers, { endStream, ...(signal ? { signal } : {}) });
    if (this.active++ === 0) session.ref();
    stream.once('close', () => { if (--this.active === 0 && !session.destroyed) session.unref(); });
    return stream;
  }

  /**
   * Something got no answer in time: ask the session for a PING. No answer
   * within the bound and the session is destroyed (its streams fail, their
   * owners retry on a new one).
   */
  suspect(): void {
    const s = this.session;
    if (!s || s.destroyed || this.pinging) return;
    this.pinging = true;
    const timer = setTimeout(() => { this.pinging = false; s.destroy(new Error(`no answer to an HTTP/2 PING within ${PING_TIMEOUT_MS} ms`)); }, PING_TIMEOUT_MS);
    timer.unref();
    const sent = s.ping((err) => {
      clearTimeout(timer);
      this.pinging = false;
      if (err && !s.destroyed) s.destroy(err);
    });
    if (!sent) { clearTimeout(timer); this.pinging = false; }
  }

  close(): void {
    this.closed = true;
    this.session?.destroy();
    this.session = undefined;
    this.pending = undefined;
  }

  private open(): Promise<Transport> {
    const url = new URL(this.server);
    return new Promise<Transport>((resolve, reject) => {
      const socket = tlsConnect({ ...this.tls, host: url.hostname, port: Number(url.port || 443), ALPNProtocols: ['h2', 'http/1.1'] });
      const timer = setTimeout(() => socket.destroy(new Error(`no TLS connection within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      const failed = (e: Error) => { clearTimeout(timer); reject(e); };
      socket.once('error', failed);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        if (socket.alpnProtocol !== 'h2') {
          this.http1 = true;
          socket.destroy();
          resolve('http/1.1');
          return;
        }
        const session = h2Connect(url.origin, { createConnection: () => socket });
        const drop = () => {
          if (this.session !== session) return;
          this.session = undefined;
          this.pending = undefined;
        };
        // A session error is its streams' error too: they report it; the next request opens a new session.
        session.on('error', drop);
        session.on('goaway', drop);
        session.on('close', drop);
        session.unref();
        const settings = setTimeout(() => session.destroy(new Error(`no HTTP/2 SETTINGS within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
        const early = (e?: Error) => { clearTimeout(settings); reject(e ?? new Error('the connection closed before the server\'s HTTP/2 SETTINGS')); };
        session.once('error', early);
        session.once('close', early);
        session.once('remoteSettings', () => {
          clearTimeout(settings);
          session.off('error', early);
          session.off('close', early);
          if (this.closed) { session.destroy(); reject(new Error('the connection was closed')); return; }
          this.session = session;
          resolve({ h2: session });
        });
      });
    });
  }
}

/** The server refused a stream before processing it: safe to send again, whatever the method. */
export class StreamRefusedError extends Error {}

/** The stream ended unanswered because it was refused (its RST_STREAM code, or the error nghttp2 gives it). */
export function refused(stream: ClientHttp2Stream, e?: Error & { code?: string }): boolean {
  return stream.rstCode === constants.NGHTTP2_REFUSED_STREAM || (e?.code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(e.message));
}

/** NGHTTP2_CANCEL: how a stream is given up on (a timeout, an abort). */
export const CANCEL = constants.NGHTTP2_CANCEL;

/** Headers that HTTP/2 forbids (connection-specific) or sets itself. */
const DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export function h2Headers(method: string, path: string, headers: Record<string, string>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { [constants.HTTP2_HEADER_METHOD]: method, [constants.HTTP2_HEADER_PATH]: path };
  for (const [k, v] of Object.entries(headers)) if (!DROPPED.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  return out;
}
