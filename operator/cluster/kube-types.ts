// What a kube-apiserver client (kube-http.ts) takes and gives: the endpoint
// and where it comes from, requests, answers, watch streams, and the errors
// that say which part failed (transport, credentials, leadership, an idle
// watch).

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
  /**
   * After a 401 to a request sent with `rejected`: forget cached credentials
   * so the next current() reads them again, unless the source has moved past
   * `rejected` already (requests in flight together all get the 401 of one
   * expired token; one refresh serves them all).
   */
  invalidate(rejected?: KubeEndpoint): void;
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

/** The server's message from a Status body, or the raw text. */
export function statusMessage(r: KubeResponse): string {
  const b = r.body as { message?: string } | undefined;
  return (typeof b?.message === 'string' ? b.message : undefined) ?? (r.text.slice(0, 300) || `HTTP ${r.status}`);
}
