// A kubeconfig file as gitfed reads it: clusters, users and contexts by
// name, with relative file paths made absolute against the file's folder.
// Same fields and checks as @kubernetes/client-node's KubeConfig, which
// loads about 800 modules (its generated API clients) on import: that was
// half a second of every CLI command. client-node is now loaded only for a
// user with a legacy auth-provider (credentials.ts).
//
// The text is read with js-yaml, the parser client-node itself reads
// kubeconfigs with: a fleet's kubeconfig is mostly base64 CA data (about
// 360 KB for 100 clusters), which the `yaml` package took 0.3-0.45 s to read
// in a fresh process against js-yaml's 0.05 s, a third of the one-shot CLI's
// CPU at 100 clusters. Both read with YAML 1.2's core schema. A file js-yaml
// refuses is read again by `yaml`, so the error a user sees (its line and
// column) is the one every other file of gitfed gives, and a file only
// `yaml` accepts still loads.
import { isAbsolute, join } from 'node:path';
import jsYaml from 'js-yaml';
import { parse } from 'yaml';

export interface KubeconfigCluster {
  name: string;
  server: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
}

export interface KubeconfigExec {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  provideClusterInfo?: boolean;
}

export interface KubeconfigUser {
  name: string;
  token?: string;
  /** client-go's `tokenFile` (or client-node's `token-file`), absolute: read again when it changes. */
  tokenFile?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  impersonateUser?: string;
  exec?: KubeconfigExec;
  authProvider?: unknown;
}

export interface KubeconfigContext {
  name: string;
  cluster: string;
  user?: string;
}

export interface Kubeconfig {
  clusters: KubeconfigCluster[];
  users: KubeconfigUser[];
  contexts: KubeconfigContext[];
  currentContext?: string;
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const entries = (v: unknown): Raw[] => (Array.isArray(v) ? v.map((e) => (e && typeof e === 'object' ? e as Raw : {})) : []);
const section = (v: unknown): Raw | undefined => (v && typeof v === 'object' ? v as Raw : undefined);

/** Parse a kubeconfig; `dir` is the file's folder (relative paths). Throws with the entry at fault. */
export function parseKubeconfig(text: string, dir: string): Kubeconfig {
  const doc = section(readYaml(text)) ?? {};
  const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) ? p : join(dir, p));
  const clusters = entries(doc.clusters).map((e, i): KubeconfigCluster => {
    const name = str(e.name);
    if (!name) throw new Error(`clusters[${i}].name is missing`);
    const c = section(e.cluster);
    if (!c) throw new Error(`clusters[${i}].cluster is missing`);
    const server = str(c.server);
    if (!server) throw new Error(`clusters[${i}].cluster.server is missing`);
    return {
      name, server: server.replace(/\/$/, ''), skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      ...opt('caData', str(c['certificate-authority-data'])), ...opt('caFile', abs(str(c['certificate-authority']))), ...opt('tlsServerName', str(c['tls-server-name'])),
    };
  });
  const users = entries(doc.users).map((e, i): KubeconfigUser => {
    const name = str(e.name);
    if (!name) throw new Error(`users[${i}].name is missing`);
    const u = section(e.user) ?? {};
    const exec = section(u.exec);
    return {
      name,
      ...opt('token', str(u.token)), ...opt('tokenFile', abs(str(u.tokenFile) ?? str(u['token-file']))),
      ...opt('certData', str(u['client-certificate-data'])), ...opt('certFile', abs(str(u['client-certificate']))),
      ...opt('keyData', str(u['client-key-data'])), ...opt('keyFile', abs(str(u['client-key']))),
      ...opt('username', str(u.username)), ...(typeof u.password === 'string' ? { password: u.password } : {}), ...opt('impersonateUser', str(u.as)),
      ...(exec && str(exec.command) ? { exec: exec as unknown as KubeconfigExec } : {}),
      ...(u['auth-provider'] ? { authProvider: u['auth-provider'] } : {}),
    };
  });
  const contexts = entries(doc.contexts).map((e, i): KubeconfigContext => {
    const name = str(e.name);
    if (!name) throw new Error(`contexts[${i}].name is missing`);
    const c = section(e.context);
    if (!c) throw new Error(`contexts[${i}].context is missing`);
    const cluster = str(c.cluster);
    if (!cluster) throw new Error(`contexts[${i}].context.cluster is missing`);
    return { name, cluster, ...opt('user', str(c.user)) };
  });
  return { clusters, users, contexts, ...opt('currentContext', str(doc['current-context'])) };
}

function readYaml(text: string): unknown {
  try {
    return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
  } catch {
    return parse(text);
  }
}

/** The user a context names: undefined when it names none or one the file does not have. */
export function userOf(kc: Kubeconfig, ctx: KubeconfigContext): KubeconfigUser | undefined {
  return ctx.user === undefined ? undefined : kc.users.find((u) => u.name === ctx.user);
}

function opt<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v !== undefined ? { [key]: v } : {}) as { [P in K]?: string };
}
