// A fleet repo in the sandbox's git server for operator tests (its own fleet
// name and namespace), plus readers of what gitfed wrote back: the status
// branch's log and files, git notes, and live replicas.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web } from './fleet-dir.js';

export const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };
const env = { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
export const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });

export interface FleetRepo {
  url: string;
  clone: string;
  /** Write a file of the clone, commit and push; returns the new commit. */
  push(file: string, text: string, msg: string): string;
}

export async function fleetRepo(sb: Sandbox, work: string, name: string, ns: string, opts: { replicas?: number; files?: Record<string, unknown[]> } = {}): Promise<FleetRepo> {
  const url = await sb.git.createRepo(name);
  const clone = join(work, `${name}-src`);
  sh(work, 'init', '-q', '-b', 'main', clone);
  const files: Record<string, unknown[]> = {
    'clusters/clusters.yaml': CLUSTERS.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'op', zone: ZONES[c] } } })),
    'policies/fleet.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name } }],
    'policies/placement.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'web' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }], replicas: { rebalance: true, clusters: { '*': { weight: 1 } } } } }],
    'manifests/app.yaml': web(ns, { replicas: opts.replicas ?? 6 }),
    ...opts.files,
  };
  for (const [path, objects] of Object.entries(files)) {
    await mkdir(join(clone, path, '..'), { recursive: true });
    await writeFile(join(clone, path), objects.map((o) => stringify(o)).join('---\n'));
  }
  sh(clone, 'add', '.');
  sh(clone, 'commit', '-q', '-m', 'fleet');
  sh(clone, 'push', '-q', url, 'main');
  return {
    url, clone,
    push: (file, text, msg) => {
      execFileSync('mkdir', ['-p', join(clone, file, '..')]);
      execFileSync('sh', ['-c', `cat > ${JSON.stringify(join(clone, file))}`], { input: text });
      sh(clone, 'add', '.');
      sh(clone, 'commit', '-q', '-m', msg);
      sh(clone, 'push', '-q', url, 'main');
      return sh(clone, 'rev-parse', 'HEAD').trim();
    },
  };
}

function view(work: string, url: string, ref: string): string {
  const dir = join(work, `view-${Math.random().toString(36).slice(2)}`);
  sh(work, 'clone', '-q', '--no-checkout', url, dir);
  sh(dir, 'fetch', '-q', 'origin', ref);
  return dir;
}

/** Subjects of the status branch, newest first. */
export function statusLog(work: string, url: string, branch = 'gitfed/status'): string[] {
  return sh(view(work, url, branch), 'log', '--format=%s', 'FETCH_HEAD').trim().split('\n');
}

/** The status commits whose subject names `text`, with their patches (for a failure message; cut at `max` characters). */
export function statusPatches(work: string, url: string, text: string, max = 8000, branch = 'gitfed/status'): string {
  return sh(view(work, url, branch), 'log', '-p', '--fixed-strings', `--grep=${text}`, 'FETCH_HEAD').slice(0, max);
}

export function statusText(work: string, url: string, path: string, branch = 'gitfed/status'): string {
  return sh(view(work, url, branch), 'show', `FETCH_HEAD:${path}`);
}

export function statusFile(work: string, url: string, path: string, branch = 'gitfed/status'): any {
  return parse(statusText(work, url, path, branch));
}

/** The git note gitfed attached to a commit (refs/notes/gitfed on the remote). */
export function noteOf(work: string, url: string, commit: string): string | undefined {
  const dir = view(work, url, 'main');
  sh(dir, 'fetch', '-q', 'origin', 'refs/notes/gitfed:refs/notes/gitfed');
  try { return sh(dir, 'notes', '--ref', 'gitfed', 'show', commit).trim(); } catch { return undefined; }
}

/** A client with the cluster's admin token; `server` sends it elsewhere (a proxy in front of that apiserver). */
export function admin(sb: Sandbox, cluster: string, server?: string): KubeHttp {
  const c = sb.clusters.find((x) => x.name === cluster)!;
  return new KubeHttp({ server: server ?? c.server, ca: c.ca, token: c.adminToken });
}

/** The body of a GET in one cluster, as its admin (a Status object when it is missing). */
export async function getBody(sb: Sandbox, cluster: string, path: string): Promise<any> {
  const h = admin(sb, cluster);
  try { return (await h.request({ path })).body; } finally { h.close(); }
}

/** spec.replicas of Deployment `web` per cluster (-1: missing). */
export async function replicas(sb: Sandbox, ns: string, only?: string[]): Promise<number[]> {
  return Promise.all(sb.clusters.filter((c) => !only || only.includes(c.name)).map(async (c) => {
    const h = admin(sb, c.name);
    try { return ((await h.request<any>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/web` })).body?.spec?.replicas ?? -1); } finally { h.close(); }
  }));
}

/** Scale Deployment `web` by hand in one cluster (drift). */
export async function scaleByHand(sb: Sandbox, cluster: string, ns: string, n: number): Promise<void> {
  const h = admin(sb, cluster);
  try {
    const r = await h.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=kubectl-scale`, contentType: 'application/merge-patch+json', body: { spec: { replicas: n } } });
    if (r.status !== 200) throw new Error(`scale: HTTP ${r.status} ${r.text}`);
  } finally { h.close(); }
}
