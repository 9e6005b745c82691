// What gitfed's apply is measured against, shared by bench:apply and
// bench:peers: `kubectl apply --server-side` one cluster after another (what
// a script would do), and a raw parallel PATCH floor (every object to every
// cluster at once, one server-side-apply PATCH each, nothing else).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { Discovery } from '../../operator/cluster/discovery.js';
import type { KubeHttp } from '../../operator/cluster/kube-http.js';
import type { KubeObject } from '../../operator/core/model.js';

export interface ClusterObjects {
  /** kubeconfig context */
  context: string;
  objects: KubeObject[];
}

/**
 * Milliseconds for the kubectl loop. The objects go in on stdin, so a
 * decrypted Secret never touches the disk. `force` takes fields over from
 * another manager (needed when the objects already belong to gitfed or Flux).
 */
export function kubectlLoop(kubectl: string, kubeconfig: string, clusters: ClusterObjects[], opts: { fieldManager: string; force?: boolean }): number {
  const t0 = performance.now();
  for (const c of clusters) {
    execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--context', c.context, 'apply', '--server-side', '--field-manager', opts.fieldManager, ...(opts.force ? ['--force-conflicts'] : []), '-f', '-'], {
      input: c.objects.map((o) => stringify(o)).join('---\n'), stdio: ['pipe', 'pipe', 'pipe'],
    });
  }
  return performance.now() - t0;
}

/** Resolves each object's API path once (discovery is not part of the floor). */
export async function floorPaths(clients: KubeHttp[], objects: KubeObject[][]): Promise<string[][]> {
  return Promise.all(clients.map(async (h, i) => {
    const d = new Discovery(h);
    return Promise.all(objects[i]!.map(async (o) => (await d.paths(o)).object));
  }));
}

/**
 * Milliseconds for the floor: per cluster, Namespaces first (the rest needs
 * them), then every other object at once; all clusters in parallel.
 * Throws on the first refused PATCH, so a floor never counts a failure.
 */
export async function patchFloor(clients: KubeHttp[], objects: KubeObject[][], paths: string[][], opts: { fieldManager: string; force?: boolean }): Promise<number> {
  const q = `?fieldManager=${opts.fieldManager}${opts.force ? '&force=true' : ''}`;
  const patch = async (h: KubeHttp, o: KubeObject, path: string) => {
    const r = await h.request({ method: 'PATCH', path: `${path}${q}`, contentType: 'application/apply-patch+yaml', body: JSON.stringify(o) });
    if (r.status >= 300) throw new Error(`PATCH ${path}: HTTP ${r.status}`);
  };
  const t0 = performance.now();
  await Promise.all(clients.map(async (h, i) => {
    const objs = objects[i]!;
    const first = objs.map((o, j) => [o, j] as const).filter(([o]) => o.kind === 'Namespace');
    for (const [o, j] of first) await patch(h, o, paths[i]![j]!);
    await Promise.all(objs.map((o, j) => (o.kind === 'Namespace' ? undefined : patch(h, o, paths[i]![j]!))));
  }));
  return performance.now() - t0;
}
