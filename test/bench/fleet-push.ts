// What the push -> applied benchmarks share (bench:operator, bench:scale): a
// fleet repo of one Namespace and N ConfigMaps for every sandbox cluster, a
// new version of it pushed to the sandbox git server, a signed webhook, and
// the wait until every cluster serves that version (reported by watches).
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { Discovery } from '../../operator/cluster/discovery.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import type { KubeObject } from '../../operator/core/model.js';
import type { Sandbox } from '../../operator/sandbox/index.js';

const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' };
export const sh = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env, stdio: 'pipe', encoding: 'utf8' });

/** Namespace `bench` and `objects - 1` ConfigMaps; cm-0 carries the version the wait looks for. */
export function versionedObjects(objects: number, version: number): KubeObject[] {
  return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
    ...Array.from({ length: objects - 1 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'bench' }, data: { version: String(i === 0 ? version : 0) } }))];
}

export interface FleetRepo {
  /** The working copy: also a fleet DIR for `gitfed apply`. */
  dir: string;
  /** Write version v of the manifests and commit it (not pushed). */
  commit(v: number): void;
  push(): void;
  /** The commit main points at in the working copy (what a push webhook names as `after`). */
  head(): string;
}

/** A fleet repo in `work`/src with every sandbox cluster, version 0 pushed to the sandbox's fleet.git. */
export async function fleetRepo(sb: Sandbox, work: string, objects: number): Promise<FleetRepo> {
  const dir = join(work, 'src');
  sh(work, 'init', '-q', '-b', 'main', dir);
  await mkdir(join(dir, 'clusters'));
  await mkdir(join(dir, 'manifests'));
  await writeFile(join(dir, 'clusters', 'all.yaml'), sb.clusters.map((c) => stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c.name }, spec: { provider: 'other' } })).join('---\n'));
  const manifests = (v: number) => versionedObjects(objects, v).map((o) => stringify(o)).join('---\n');
  const repo: FleetRepo = {
    dir,
    commit: (v) => {
      writeFileSync(join(dir, 'manifests', 'all.yaml'), manifests(v));
      sh(dir, 'add', '.');
      sh(dir, 'commit', '-q', '-m', `v${v}`);
    },
    push: () => { sh(dir, 'push', '-q', sb.git.url, 'main'); },
    head: () => sh(dir, 'rev-parse', 'HEAD').trim(),
  };
  repo.commit(0);
  repo.push();
  return repo;
}

/**
 * POST a GitHub-style signed push event for refs/heads/main; `after`: the
 * commit main points at now, as GitHub sends it; `delivery`: its
 * X-GitHub-Delivery id. Throws when gitfed does not accept it.
 */
export async function sendWebhook(url: string, secret: string, after: string, delivery?: string): Promise<void> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after });
  const r = await fetch(`${url}/webhook`, { method: 'POST', body, headers: { 'x-github-event': 'push', ...(delivery ? { 'x-github-delivery': delivery } : {}), 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` } });
  await r.arrayBuffer();
  if (r.status >= 300) throw new Error(`gitfed's webhook answered ${r.status}`);
}

/** The bench's own clients: 60 s per request, as 100 apiservers on 2 cores can keep one waiting past the usual 10 s. */
export function clusterClients(sb: Sandbox): KubeHttp[] {
  return sb.clusters.map((c) => new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }, 60_000));
}

/** Which ConfigMap field the watch follows: bench/cm-0's `version` unless told. */
export interface WatchedField {
  namespace: string;
  name: string;
  key: string;
}

/**
 * When every cluster serves each version of a ConfigMap field (bench/cm-0's
 * `version` by default), as one watch per cluster
 * reports it (opened before the first push, kept across pushes). Polling
 * with GETs instead puts load on the very apiservers the operator writes to
 * (at 100 clusters on 2 cores, 100 GETs a round), and that load then shows
 * up in the latency being measured.
 */
export class AppliedWatch {
  /** version -> cluster client -> when its watch reported it */
  private readonly seen = new Map<string, Map<KubeHttp, number>>();
  /** the version each cluster served last */
  private readonly last = new Map<KubeHttp, string>();
  private readonly stop = new AbortController();
  private wake: () => void = () => undefined;

  private constructor(private readonly clients: KubeHttp[], private readonly field: WatchedField) {}

  /** Resolves once every cluster's watch is open (an event cannot be missed or come late from then on). */
  static async open(clients: KubeHttp[], timeoutMs = 120_000, field: WatchedField = { namespace: 'bench', name: 'cm-0', key: 'version' }): Promise<AppliedWatch> {
    const w = new AppliedWatch(clients, field);
    const opened = clients.map((h) => w.follow(h));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(opened), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the clusters' watches did not open in ${timeoutMs / 1000} s`)), timeoutMs); })]).finally(() => clearTimeout(timer));
    return w;
  }

  private record(h: KubeHttp, version: unknown): void {
    if (version === undefined) return;
    this.last.set(h, String(version));
    const at = this.seen.get(String(version)) ?? new Map<KubeHttp, number>();
    if (!at.has(h)) at.set(h, performance.now());
    this.seen.set(String(version), at);
    this.wake();
  }

  private follow(h: KubeHttp): Promise<void> {
    const { namespace, name, key } = this.field;
    const base = `/api/v1/namespaces/${namespace}/configmaps?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
    const { signal } = this.stop;
    return new Promise<void>((opened) => {
      void (async () => {
        let rv = '';
        while (!signal.aborted) {
          try {
            if (!rv) {
              const list = await h.request<{ metadata: { resourceVersion: string }; items: Array<{ data?: Record<string, string> }> }>({ path: base });
              rv = list.body.metadata.resourceVersion;
              for (const cm of list.body.items) this.record(h, cm.data?.[key]);
            }
            const end = await h.stream(`${base}&watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, {
              signal, onOpen: () => opened(),
              onLine: (line) => {
                const e = JSON.parse(line) as { type: string; object: { metadata?: { resourceVersion?: string }; data?: Record<string, string> } };
                if (e.type === 'ERROR') { rv = ''; return; }
                rv = e.object.metadata?.resourceVersion ?? rv;
                if (e.type !== 'BOOKMARK') this.record(h, e.object.data?.[key]);
              },
            });
            if (end.status !== 200) rv = '';
          } catch {
            if (!signal.aborted) await new Promise((r) => setTimeout(r, 200));
          }
        }
      })();
    });
  }

  /** Milliseconds from t0 until the last cluster served version v. */
  async applied(v: number | string, t0: number, timeoutMs = 120_000): Promise<number> {
    const until = t0 + timeoutMs;
    for (;;) {
      const at = this.seen.get(String(v));
      if (at && at.size === this.clients.length) return Math.max(...at.values()) - t0;
      const left = until - performance.now();
      if (left <= 0) {
        const missing = this.clients.filter((h) => !at?.has(h));
        throw new Error(`version ${v} not in ${missing.length} of ${this.clients.length} clusters after ${timeoutMs / 1000} s (${missing.map((h) => `${h.endpoint.server} has version ${this.last.get(h)}`).join(', ')})`);
      }
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.wake = () => { clearTimeout(t); r(); }; });
    }
  }

  close(): void {
    this.stop.abort();
  }
}

/**
 * The floor under any apply: every object to every cluster at once, one
 * server-side apply PATCH each (the namespace first), nothing else.
 */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
