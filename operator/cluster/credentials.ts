// Member-cluster credentials that stay current while the operator runs, the
// way client-go keeps them: the kubeconfig file is read again when it changes
// (a rotated Secret mounted as a file), `tokenFile` is read again when it
// changes, exec plugins (GKE's gke-gcloud-auth-plugin, EKS's aws-iam-authenticator
// style `users[].user.exec`) run again when their credential expires, and a
// 401 forgets everything cached so the next request reads it all afresh.
// Basic auth (username/password) and tls-server-name are honoured.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { authKey } from './kube-http.js';
import { KubeCredentialError, type CredentialSource, type KubeEndpoint } from './kube-types.js';
import { parseKubeconfig, userOf, type Kubeconfig, type KubeconfigExec as ExecConfig } from './kubeconfig-file.js';

/**
 * The last parse of each kubeconfig file, shared by all its contexts: a
 * fleet of N clusters has N contexts in one file, and parsing the whole file
 * once per context made connecting O(N^2) (100 clusters: 10,000 entries parsed).
 */
const parsedFiles = new Map<string, { hash: string; kc: Kubeconfig }>();

/**
 * The last read of each kubeconfig file, by its stamp: N contexts of one file
 * read and hash it once, not N times (100 clusters: 100 reads of a 400 KB file).
 * A context that got a 401 reads the file itself (`fresh`).
 */
const readFiles = new Map<string, { stamp: string; text: string; hash: string }>();

function readKubeconfig(path: string, stamp: string, fresh: boolean): { text: string; hash: string } {
  const hit = readFiles.get(path);
  if (hit?.stamp === stamp && !fresh) return hit;
  const text = readFileSync(path, 'utf8');
  const read = { stamp, text, hash: createHash('sha256').update(text).digest('hex') };
  readFiles.set(path, read);
  return read;
}

function parsedKubeconfig(path: string, text: string, hash: string, where: string): Kubeconfig {
  const hit = parsedFiles.get(path);
  if (hit?.hash === hash) return hit.kc;
  let kc: Kubeconfig;
  try {
    kc = parseKubeconfig(text, dirname(path));
  } catch (e) {
    throw new KubeCredentialError(`cannot read ${where}: ${(e as Error).message}`);
  }
  parsedFiles.set(path, { hash, kc });
  return kc;
}

/** client-node, for a legacy auth-provider (oidc, gcp, azure) only: it refreshes those for its CURRENT context. */
async function authProviderKubeconfig(path: string, text: string, context: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromString(text);
  (kc as unknown as { makePathsAbsolute(dir: string): void }).makePathsAbsolute(dirname(path));
  kc.setCurrentContext(context);
  return kc;
}

interface ExecResult { token?: string; clientCert?: string; clientKey?: string; expiresAt?: number }

interface Loaded {
  hash: string;
  /** The file's text, for client-node when the user has an auth-provider. */
  text: string;
  /** TLS part and static auth, everything that does not change without the file changing. */
  base: KubeEndpoint;
  tokenFile?: string;
  exec?: ExecConfig;
  /** An auth-provider (oidc, gcp, azure): client-node refreshes those itself. */
  authProvider: boolean;
  /** Its client-node KubeConfig, made on first use. */
  authKc?: Promise<KubeConfig>;
}

const EXEC_TIMEOUT_MS = 30_000;
/** Refresh an exec credential this long before it expires. */
const EXPIRY_SLACK_MS = 10_000;

function fileStamp(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function fromFileOrData(file: string | undefined | null, data: string | undefined | null): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (file) return readFileSync(file, 'utf8');
  return undefined;
}

export class KubeconfigCredentials implements CredentialSource {
  private loaded?: Loaded;
  private kubeconfigStamp = '';
  /** After a 401: read the file itself, not another context's last read. */
  private fresh = false;
  private tokenFileCache?: { stamp: string; token: string };
  private exec?: ExecResult;
  private cached?: KubeEndpoint;
  private checkedAt = 0;
  private pending?: Promise<KubeEndpoint>;
  /** The last failure, served again until the next recheck so a broken plugin is not run per request. */
  private failed?: { at: number; error: Error };
  /** Exec plugin runs so far (tests and logs). */
  execRuns = 0;

  /** `recheckMs`: how often the files are looked at again (a stat each), besides after a 401. */
  constructor(readonly kubeconfigPath: string, readonly context: string, private readonly recheckMs = 1000) {}

  invalidate(rejected?: KubeEndpoint): void {
    // A refresh under way, or one done since `rejected` was handed out, already
    // reads everything again: another run of the exec plugin would be wasted.
    if (rejected && (this.pending || (this.cached && authKey(this.cached) !== authKey(rejected)))) return;
    this.exec = undefined;
    this.tokenFileCache = undefined;
    this.kubeconfigStamp = '';
    this.fresh = true;
    this.checkedAt = 0;
    this.failed = undefined;
  }

  /** Parse the kubeconfig now: throws when the file or the context is unusable. Returns the server. */
  check(): string {
    return this.reload().base.server;
  }

  current(): Promise<KubeEndpoint> {
    const now = Date.now();
    const execExpired = this.exec?.expiresAt !== undefined && this.exec.expiresAt - EXPIRY_SLACK_MS <= now;
    if (this.cached && now - this.checkedAt < this.recheckMs && !execExpired) return Promise.resolve(this.cached);
    if (this.failed && now - this.failed.at < this.recheckMs) return Promise.reject(this.failed.error);
    // One refresh at a time: twenty requests at once run an exec plugin once.
    this.pending ??= this.refresh(now, execExpired)
      .catch((e: Error) => { this.failed = { at: Date.now(), error: e }; throw e; })
      .finally(() => { this.pending = undefined; });
    return this.pending;
  }

  private async refresh(now: number, execExpired: boolean): Promise<KubeEndpoint> {
    const loaded = this.reload();
    const ep: KubeEndpoint = { ...loaded.base, ...(loaded.base.headers ? { headers: { ...loaded.base.headers } } : {}) };
    if (loaded.exec) {
      if (!this.exec || execExpired) this.exec = await this.runExec(loaded.exec, loaded.base);
      if (this.exec.token) ep.token = this.exec.token;
      if (this.exec.clientCert) ep.clientCert = this.exec.clientCert;
      if (this.exec.clientKey) ep.clientKey = this.exec.clientKey;
    } else if (loaded.tokenFile) {
      ep.token = this.readTokenFile(loaded.tokenFile);
    } else if (loaded.authProvider) {
      const opts: { headers?: Record<string, string> } = {};
      loaded.authKc ??= authProviderKubeconfig(this.kubeconfigPath, loaded.text, this.context);
      await (await loaded.authKc).applyToHTTPSOptions(opts as never).catch((e: Error) => { throw new KubeCredentialError(`context "${this.context}": auth provider: ${e.message}`); });
      const auth = opts.headers?.Authorization ?? opts.headers?.authorization;
      if (auth) ep.headers = { ...ep.headers, authorization: String(auth) };
    }
    // Unchanged credentials keep their identity: the client then has nothing to compare.
    if (!this.cached || JSON.stringify(this.cached) !== JSON.stringify(ep)) this.cached = ep;
    this.checkedAt = now;
    this.failed = undefined;
    return this.cached;
  }

  /** Read the kubeconfig again only when the file changed (stat), and parse it only when its content did. */
  private reload(): Loaded {
    let stamp: string;
    try {
      stamp = fileStamp(this.kubeconfigPath);
    } catch (e) {
      if (this.loaded) return this.loaded; // a Secret volume swaps its symlink: keep the last good one meanwhile
      throw new KubeCredentialError(`cannot read kubeconfig ${this.kubeconfigPath}: ${(e as Error).message}`);
    }
    if (this.loaded && stamp === this.kubeconfigStamp) return this.loaded;
    const { text, hash } = readKubeconfig(this.kubeconfigPath, stamp, this.fresh);
    this.fresh = false;
    this.kubeconfigStamp = stamp;
    if (this.loaded?.hash === hash) return this.loaded;
    const next = this.parse(text, hash);
    if (this.loaded) { this.exec = undefined; this.tokenFileCache = undefined; }
    this.loaded = next;
    return next;
  }

  private parse(text: string, hash: string): Loaded {
    const where = `kubeconfig ${this.kubeconfigPath}`;
    const kc = parsedKubeconfig(this.kubeconfigPath, text, hash, where);
    const ctx = kc.contexts.find((c) => c.name === this.context);
    if (!ctx) throw new KubeCredentialError(`${where} has no context "${this.context}" (contexts: ${kc.contexts.map((c) => c.name).join(', ') || 'none'}); set the Cluster's spec.context`);
    // The shared parse is read, never changed: every context of the file uses it.
    const cluster = kc.clusters.find((c) => c.name === ctx.cluster);
    if (!cluster) throw new KubeCredentialError(`context "${this.context}" names no cluster`);
    const user = userOf(kc, ctx);
    let base: KubeEndpoint;
    try {
      base = {
        server: cluster.server,
        ...optional('ca', fromFileOrData(cluster.caFile, cluster.caData)),
        ...optional('clientCert', fromFileOrData(user?.certFile, user?.certData)),
        ...optional('clientKey', fromFileOrData(user?.keyFile, user?.keyData)),
        ...(cluster.skipTLSVerify ? { insecureSkipTlsVerify: true } : {}),
        ...optional('tlsServerName', cluster.tlsServerName),
        ...optional('token', user?.token ?? undefined),
      };
    } catch (e) {
      throw new KubeCredentialError(`${where}, context "${this.context}": ${(e as Error).message}`);
    }
    const headers: Record<string, string> = {};
    if (user?.username) headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
    if (user?.impersonateUser) headers['impersonate-user'] = user.impersonateUser;
    if (Object.keys(headers).length) base.headers = headers;
    return {
      hash, text, base,
      ...(user?.exec ? { exec: user.exec } : {}),
      ...(user?.tokenFile ? { tokenFile: user.tokenFile } : {}),
      authProvider: !!user?.authProvider,
    };
  }

  private readTokenFile(path: string): string {
    try {
      const stamp = fileStamp(path);
      if (this.tokenFileCache?.stamp !== stamp) this.tokenFileCache = { stamp, token: readFileSync(path, 'utf8').trim() };
      return this.tokenFileCache.token;
    } catch (e) {
      throw new KubeCredentialError(`context "${this.context}": cannot read tokenFile ${path}: ${(e as Error).message}`);
    }
  }

  /** Run the plugin as client-go does: KUBERNETES_EXEC_INFO in, an ExecCredential out. */
  private runExec(exec: ExecConfig, base: KubeEndpoint): Promise<ExecResult> {
    this.execRuns++;
    const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
    const info = {
      apiVersion, kind: 'ExecCredential',
      spec: {
        interactive: false,
        ...(exec.provideClusterInfo ? { cluster: { server: base.server, ...(base.ca ? { 'certificate-authority-data': Buffer.from(base.ca).toString('base64') } : {}), ...(base.tlsServerName ? { 'tls-server-name': base.tlsServerName } : {}), ...(base.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}) } } : {}),
      },
    };
    const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: JSON.stringify(info) };
    const what = `context "${this.context}": exec plugin ${exec.command}`;
    return new Promise((res, rej) => {
      let settled = false;
      const resolve = (r: ExecResult) => { if (!settled) { settled = true; clearTimeout(hard); res(r); } };
      const reject = (e: Error) => { if (!settled) { settled = true; clearTimeout(hard); rej(e); } };
      // SIGKILL: a plugin that ignores SIGTERM would outlive its timeout.
      const child = execFile(exec.command, exec.args ?? [], { env, timeout: EXEC_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, cwd: dirname(this.kubeconfigPath) }, (err, stdout, stderr) => {
        if (err) return reject(new KubeCredentialError(`${what} failed: ${(String(stderr).trim() || err.message).slice(0, 300)}`));
        let cred: { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } };
        try { cred = JSON.parse(String(stdout)); } catch { return reject(new KubeCredentialError(`${what} printed no ExecCredential JSON`)); }
        const st = cred?.status;
        if (!st || (!st.token && !st.clientCertificateData)) return reject(new KubeCredentialError(`${what}: the ExecCredential has no status.token or client certificate`));
        const expiresAt = st.expirationTimestamp ? Date.parse(st.expirationTimestamp) : NaN;
        resolve({
          ...optional('token', st.token), ...optional('clientCert', st.clientCertificateData), ...optional('clientKey', st.clientKeyData),
          // No expiry: cached until a 401, as client-go does.
          ...(Number.isFinite(expiresAt) ? { expiresAt } : {}),
        });
      });
      // execFile answers only once the plugin's output pipes close, which a
      // child of the plugin can keep open after the plugin itself was
      // killed: the credential gives up on its own clock, never waits forever.
      const hard = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new KubeCredentialError(`${what} did not finish within ${EXEC_TIMEOUT_MS / 1000} s`));
      }, EXEC_TIMEOUT_MS + 2000);
      hard.unref?.();
    });
  }
}

function optional<K extends string>(key: K, v: string | undefined | null): { [P in K]?: string } {
  return (v ? { [key]: v } : {}) as { [P in K]?: string };
}
