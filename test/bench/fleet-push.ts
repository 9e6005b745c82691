// What the push -> applied benchmarks share (bench:operator, bench:scale): a
// fleet repo of one Namespace and N ConfigMaps for every sandbox cluster, a
// new version of it pushed to the sandbox git server, a signed webhook, and
// the wait until every cluster serves that version.
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
  };
  repo.commit(0);
  repo.push();
  return repo;
}

/** POST a GitHub-style signed push event for refs/heads/main. */
export async function sendWebhook(url: string, secret: string): Promise<void> {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const r = await fetch(`${url}/webhook`, { method: 'POST', body, headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` } });
  await r.arrayBuffer();
}

/** The bench's own clients: 60 s per request, as 100 apiservers on 2 cores can keep one waiting past the usual 10 s. */
export function clusterClients(sb: Sandbox): KubeHttp[] {
  return sb.clusters.map((c) => new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }, 60_000));
}

/** Wait until cm-0 holds version v in every cluster; ms from `t0` (performance.now()) to then. */
export async function waitApplied(clients: KubeHttp[], v: number, t0: number, timeoutMs = 120_000): Promise<number> {
  const pending = new Set(clients);
  const last = new Map<KubeHttp, string>();
  while (pending.size) {
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(`version ${v} not in ${pending.size} of ${clients.length} clusters after ${timeoutMs / 1000} s (${[...pending].map((h) => `${h.endpoint.server} has version ${last.get(h)}`).join(', ')})`);
    }
    await Promise.all([...pending].map(async (h) => {
      const got = (await h.request<{ data?: { version?: string } }>({ path: '/api/v1/namespaces/bench/configmaps/cm-0' })).body?.data?.version;
      last.set(h, String(got));
      if (got === String(v)) pending.delete(h);
    }));
    // Every round is a GET per pending cluster: at 100 clusters polling every
    // 10 ms would load the apiservers the operator is writing to.
    if (pending.size) await new Promise((r) => setTimeout(r, Math.max(10, Math.ceil(clients.length / 2))));
  }
  return performance.now() - t0;
}

/**
 * The floor under any apply: every object to every cluster at once, one
 * server-side apply PATCH each (the namespace first), nothing else.
 */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
