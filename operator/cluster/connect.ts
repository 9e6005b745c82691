// From a kubeconfig context to a connection: the kubeconfig is read with
// @kubernetes/client-node (contexts, CA/cert files, tokens, exec plugins),
// requests then go through our own keep-alive client.
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterSpec } from '../core/model.js';
import { Discovery } from './discovery.js';
import { KubeHttp, type KubeEndpoint } from './kube-http.js';
import type { WatchCache } from './watch-cache.js';

export interface Connection {
  cluster: string;
  context: string;
  http: KubeHttp;
  discovery: Discovery;
  /** Set by long-running callers (the operator): LISTs are served from watch caches. */
  caches?: Map<string, WatchCache>;
}

export class KubeconfigError extends Error {
  readonly code = 'EKUBECONFIG';
}

/** The contexts of a kubeconfig with their user's exec plugin (never its credentials), in file order. */
export function kubeconfigContexts(kubeconfigPath: string): Array<{ name: string; exec?: { command?: string; args?: string[] } }> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${kubeconfigPath}: ${(e as Error).message}`);
  }
  return kc.getContexts().map((c) => {
    const exec = kc.getUser(c.user)?.exec as { command?: string; args?: string[] } | undefined;
    return { name: c.name, ...(exec ? { exec: { ...(exec.command ? { command: exec.command } : {}), ...(exec.args ? { args: [...exec.args] } : {}) } } : {}) };
  });
}

export async function endpointFor(kubeconfigPath: string, context: string): Promise<KubeEndpoint> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${kubeconfigPath}: ${(e as Error).message}`);
  }
  if (!kc.getContextObject(context)) {
    throw new KubeconfigError(`kubeconfig ${kubeconfigPath} has no context "${context}" (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}); set the Cluster's spec.context`);
  }
  kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigError(`context "${context}" names no cluster`);
  const opts: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean; headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts as never);
  return {
    server: cluster.server,
    ...(opts.ca ? { ca: opts.ca.toString() } : {}),
    ...(opts.cert ? { clientCert: opts.cert.toString() } : {}),
    ...(opts.key ? { clientKey: opts.key.toString() } : {}),
    ...(cluster.skipTLSVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(opts.headers ? { headers: Object.fromEntries(Object.entries(opts.headers).map(([k, v]) => [k, String(v)])) } : {}),
  };
}

export async function connect(kubeconfigPath: string, clusters: readonly ClusterSpec[], timeoutMs = 10_000): Promise<Map<string, Connection | KubeconfigError>> {
  const out = new Map<string, Connection | KubeconfigError>();
  for (const c of clusters) {
    try {
      const http = new KubeHttp(await endpointFor(kubeconfigPath, c.context), timeoutMs);
      out.set(c.name, { cluster: c.name, context: c.context, http, discovery: new Discovery(http) });
    } catch (e) {
      out.set(c.name, e instanceof KubeconfigError ? e : new KubeconfigError((e as Error).message));
    }
  }
  return out;
}

export function closeAll(conns: Map<string, Connection | KubeconfigError>): void {
  for (const c of conns.values()) {
    if (c instanceof Error) continue;
    for (const w of c.caches?.values() ?? []) w.stop();
    c.http.close();
  }
}
