// The fleet both peers get: the sample fleet (manifests/, policies/ and its
// three clusters) on ten member clusters, plus 50 benchmark objects per
// cluster whose ConfigMap bench/cm-0 carries the push's marker. gitfed reads
// it from its repo; Flux gets the per-cluster render of the same directory.
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeHttp } from '../../../operator/cluster/kube-http.js';
import { emptyAllocations, hasErrors } from '../../../operator/core/model.js';
import { render } from '../../../operator/core/render.js';
import { formatFinding, loadFleetDir } from '../../../operator/load/index.js';
import { benchObjects } from '../bench-objects.js';
import type { RenderedCluster } from './flux-overlays.js';

export const MARKER_NS = 'bench';
const SAMPLE_CLUSTERS = new Set(['us-east1', 'europe-west1', 'asia-east1']);

/** The sample fleet plus the member clusters it lacks, and the benchmark objects with `marker`. */
export async function writePeerFleet(projectRoot: string, dir: string, members: readonly string[], marker: string): Promise<void> {
  for (const d of ['clusters', 'manifests', 'policies']) await cp(join(projectRoot, d), join(dir, d), { recursive: true });
  const extra = members.filter((m) => !SAMPLE_CLUSTERS.has(m)).map((name) => ({
    apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name, labels: { region: name, env: 'demo' } },
    // Two GCE clusters may not share a project and zone: one zone each.
    spec: { context: name, provider: 'gce', gce: { project: 'gitfed-demo', zone: `${name}-a` } },
  }));
  await writeFile(join(dir, 'clusters', 'bench-members.yaml'), extra.map((c) => stringify(c)).join('---\n'));
  await setMarker(dir, marker);
}

export async function setMarker(dir: string, marker: string): Promise<void> {
  await mkdir(join(dir, 'manifests'), { recursive: true });
  await writeFile(join(dir, 'manifests', 'bench.yaml'), benchObjects(MARKER_NS, 50, marker).map((o) => stringify(o)).join('---\n'));
}

/** gitfed's render of the directory (no observations: every cluster Ready, as both peers start). */
export async function renderPeerFleet(dir: string, ageKeyFile: string): Promise<RenderedCluster[]> {
  const loaded = await loadFleetDir(dir, { age: { keyFile: ageKeyFile } });
  const result = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings });
  if (hasErrors(result.findings)) throw new Error(`the peer fleet does not render: ${result.findings.filter((f) => f.severity === 'error').map(formatFinding).join('; ')}`);
  return result.clusters;
}

/** Fleet files (relative paths) that sops encrypted, with their text. */
export async function encryptedFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const sub of ['manifests']) {
    for (const f of await readdir(join(dir, sub))) {
      const text = await readFile(join(dir, sub, f), 'utf8');
      if (/^sops:/m.test(text)) out.set(`${sub}/${f}`, text);
    }
  }
  return out;
}

/** Replace everything under `sub` of a checkout with `files` (repo path -> text). */
export async function writeTree(root: string, sub: string, files: ReadonlyMap<string, string>): Promise<void> {
  await rm(join(root, sub), { recursive: true, force: true });
  for (const [path, text] of files) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** Every member holds bench/cm-0 with this marker: the push is applied everywhere. */
export async function appliedEverywhere(clients: readonly KubeHttp[], marker: string): Promise<boolean> {
  const seen = await Promise.all(clients.map(async (h) => (await h.request<{ data?: Record<string, string> }>({ path: `/api/v1/namespaces/${MARKER_NS}/configmaps/cm-0` })).body?.data?.marker));
  return seen.every((m) => m === marker);
}
