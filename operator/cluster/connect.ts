// From a kubeconfig context to a connection: credentials.ts reads the
// kubeconfig (and keeps re-reading what may rotate), requests then go through
// our own keep-alive client.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClusterSpec } from '../core/model.js';
import { KubeconfigCredentials } from './credentials.js';
import { parseKubeconfig, userOf, type Kubeconfig } from './kubeconfig-file.js';
import { Discovery } from './discovery.js';
import { inClusterReason, type InClusterEnv } from './in-cluster.js';
import { KubeHttp } from './kube-http.js';
import { type KubeEndpoint } from './kube-types.js';
import type { HealthMonitor } from './health-monitor.js';
import type { WatchCache, WatchCacheOptions } from './watch-cache.js';

export interface Connection {
  cluster: string;
  context: string;
  http: KubeHttp;
  discovery: Discovery;
  /** Set by long-running callers (the operator): LISTs are served from watch caches. */
  caches?: Map<string, WatchCache>;
  /** Options of those watch caches (idle timeout, backoff). */
  watch?: WatchCacheOptions;
  /** Set by long-running callers: health is probed in the background, not by every tick. */
  health?: HealthMonitor;
}

export class KubeconfigError extends Error {
  readonly code = 'EKUBECONFIG';
}

/** The contexts of a kubeconfig with their user's exec plugin (never its credentials), in file order. */
export function kubeconfigContexts(kubeconfigPath: string): Array<{ name: string; exec?: { command?: string; args?: string[] } }> {
  let kc: Kubeconfig;
  try {
    kc = parseKubeconfig(readFileSync(kubeconfigPath, 'utf8'), dirname(kubeconfigPath));
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${kubeconfigPath}: ${(e as Error).message}`);
  }
  return kc.contexts.map((c) => {
    const exec = userOf(kc, c)?.exec;
    return { name: c.name, ...(exec ? { exec: { ...(exec.command ? { command: exec.command } : {}), ...(exec.args ? { args: [...exec.args] } : {}) } } : {}) };
  });
}

/** The endpoint of a context as it is now (one-shot callers, e.g. the lease client). */
export async function endpointFor(kubeconfigPath: string, context: string): Promise<KubeEndpoint> {
  const { source } = await credentialsFor(kubeconfigPath, context);
  try {
    return await source.current();
  } catch (e) {
    throw new KubeconfigError((e as Error).message);
  }
}

/**
 * A credential source that keeps the context's credentials current, and its
 * first endpoint. A kubeconfig without the context is an error now; a plugin
 * or token file that fails is not (the health probe reports it, and it is
 * tried again on every request until it works).
 */
async function credentialsFor(kubeconfigPath: string, context: string, waitMs = 10_000): Promise<{ source: KubeconfigCredentials; endpoint: KubeEndpoint }> {
  const source = new KubeconfigCredentials(kubeconfigPath, context);
  let server: string;
  try {
    server = source.check();
  } catch (e) {
    throw new KubeconfigError((e as Error).message);
  }
  // A plugin slower than waitMs goes on in the background; requests wait for it within their own timeouts.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<KubeEndpoint>((resolve) => { timer = setTimeout(() => resolve({ server }), waitMs); });
  const endpoint = await Promise.race([source.current().catch(() => ({ server })), late]);
  clearTimeout(timer);
  return { source, endpoint };
}

/** A client for one context whose credentials stay current (e.g. the Lease client of leader election). */
export async function httpFor(kubeconfigPath: string, context: string, timeoutMs = 10_000): Promise<KubeHttp> {
  const { source, endpoint } = await credentialsFor(kubeconfigPath, context);
  return new KubeHttp(source, timeoutMs, endpoint);
}

/** A member context that is gitfed's own in-cluster identity, refused without --allow-in-cluster. */
export class InClusterRefused extends KubeconfigError {}

export interface ConnectOptions {
  /** Refuse contexts that are the operator's own in-cluster identity (apply, run). */
  refuseInCluster?: InClusterEnv;
}

export async function connect(kubeconfigPath: string, clusters: readonly ClusterSpec[], timeoutMs = 10_000, opts: ConnectOptions = {}): Promise<Map<string, Connection | KubeconfigError>> {
  // All at once: a context whose exec plugin takes its whole timeout must not
  // hold up the others (one after the other, N slow plugins cost N timeouts).
  const made = await Promise.all(clusters.map(async (c): Promise<Connection | KubeconfigError> => {
    try {
      const { source, endpoint } = await credentialsFor(kubeconfigPath, c.context, timeoutMs);
      const own = opts.refuseInCluster && inClusterReason(endpoint, opts.refuseInCluster);
      if (own) return new InClusterRefused(`cluster ${c.name}: context "${c.context}" is gitfed's own in-cluster identity (${own}); gitfed refuses to manage the cluster it runs in with its own credentials unless started with --allow-in-cluster`);
      const http = new KubeHttp(source, timeoutMs, endpoint);
      return { cluster: c.name, context: c.context, http, discovery: new Discovery(http) };
    } catch (e) {
      return e instanceof KubeconfigError ? e : new KubeconfigError((e as Error).message);
    }
  }));
  return new Map(clusters.map((c, i) => [c.name, made[i]!]));
}

export function closeAll(conns: Map<string, Connection | KubeconfigError>): void {
  for (const c of conns.values()) {
    if (c instanceof Error) continue;
    for (const w of c.caches?.values() ?? []) w.stop();
    c.health?.stop();
    c.http.close();
  }
}
