// Fleets written as the files a user commits (YAML text by path), loaded and
// rendered offline: for render-core tests whose point is the file and line
// of a finding, or what a value written in YAML becomes.
import { emptyAllocations, type RenderResult } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { loadFleetFiles } from '../../operator/load/index.js';

const enc = new TextEncoder();

/** Load and render these files with no cluster observed and no previous allocation. */
export function renderFleetText(files: Record<string, string>): RenderResult {
  const loaded = loadFleetFiles(Object.entries(files).map(([path, text]) => ({ path, content: enc.encode(text) })));
  return render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings });
}

/** A Placement of Deployment shop/web whose spec.replicas.clusters is these YAML lines (indented by the caller's 6 spaces). */
export function webPlacementYaml(clusterLines: string[]): string {
  return `apiVersion: gitfed.io/v1alpha1
kind: Placement
metadata: { name: web }
spec:
  resources: [{ kind: Deployment, name: web, namespace: shop }]
  replicas:
    clusters:
${clusterLines.map((l) => `      ${l}`).join('\n')}
`;
}
