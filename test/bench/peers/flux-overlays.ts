// Flux's side of the peer benchmark gets the same content as gitfed: one
// directory per member cluster (a kustomize overlay) holding exactly the
// objects gitfed's render gives that cluster. A Secret that came from a
// SOPS-encrypted fleet file is not written out decrypted: the encrypted
// file goes in as it is, and kustomize-controller opens it with the age key
// (Flux's own way). Pure: files in, files out.
import { stringify } from 'yaml';
import { SOURCE_ANNOTATION } from '../../../operator/core/labels.js';
import type { KubeObject } from '../../../operator/core/model.js';

export interface RenderedCluster {
  cluster: string;
  objects: readonly KubeObject[];
}

/** Where a cluster's overlay lives in the Flux repo (Kustomization spec.path). */
export function overlayPath(cluster: string): string {
  return `clusters/${cluster}`;
}

const segment = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * repo path -> file text. `encrypted` maps a fleet file path (as in the
 * gitfed.io/source annotation) to its encrypted text.
 */
export function fluxOverlays(clusters: readonly RenderedCluster[], encrypted: ReadonlyMap<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of clusters) {
    const root = overlayPath(c.cluster);
    const resources = new Set<string>();
    for (const o of c.objects) {
      const source = o.metadata.annotations?.[SOURCE_ANNOTATION];
      if (o.kind === 'Secret' && source && encrypted.has(source)) {
        const rel = `encrypted/${segment(source)}`;
        files.set(`${root}/${rel}`, encrypted.get(source)!);
        resources.add(rel);
        continue;
      }
      const rel = `${segment(o.metadata.namespace ?? '_cluster')}/${segment(o.kind.toLowerCase())}-${segment(o.metadata.name)}.yaml`;
      files.set(`${root}/${rel}`, stringify(o));
      resources.add(rel);
    }
    files.set(`${root}/kustomization.yaml`, stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...resources].sort() }));
  }
  return files;
}
