// Flux's source-controller and kustomize-controller, built from source
// through the Go module proxy (test/tools/flux-source, flux-kustomize) into
// the user's cache directory, for bench:peers only (never for npm test).
// Their CRDs come from the same downloaded modules at run time.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGoTool, moduleSourceDir, pinnedVersion, type GoTool } from '../../helpers/go-tool.js';

const SOURCE: GoTool = { dir: 'flux-source', name: 'source-controller', pkg: 'github.com/fluxcd/source-controller', module: 'github.com/fluxcd/source-controller' };
const KUSTOMIZE: GoTool = { dir: 'flux-kustomize', name: 'kustomize-controller', pkg: 'github.com/fluxcd/kustomize-controller', module: 'github.com/fluxcd/kustomize-controller' };

export interface FluxBinaries {
  sourceController: string;
  kustomizeController: string;
  /** e.g. "source-controller v1.7.3, kustomize-controller v1.7.3" */
  versions: string;
  /** CRD files of both controllers (config/crd/bases of each module). */
  crds: string[];
  /** Seconds the build took in this run (0 when both came from the cache). */
  buildSeconds: number;
}

async function crdFiles(tool: GoTool): Promise<string[]> {
  const dir = join(await moduleSourceDir(tool, `${tool.module}@${pinnedVersion(tool)}`), 'config', 'crd', 'bases');
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

export async function ensureFlux(log: (l: string) => void): Promise<FluxBinaries | { skip: string }> {
  const t0 = Date.now();
  // One after the other: each build alone takes the 2 cores and ~2 GB.
  const sourceController = await ensureGoTool(SOURCE, log);
  if (typeof sourceController !== 'string') return sourceController;
  const kustomizeController = await ensureGoTool(KUSTOMIZE, log);
  if (typeof kustomizeController !== 'string') return kustomizeController;
  const buildSeconds = Math.round((Date.now() - t0) / 1000);
  return {
    sourceController, kustomizeController,
    versions: `source-controller ${pinnedVersion(SOURCE)}, kustomize-controller ${pinnedVersion(KUSTOMIZE)}`,
    crds: [...await crdFiles(SOURCE), ...await crdFiles(KUSTOMIZE)],
    buildSeconds: buildSeconds < 2 ? 0 : buildSeconds,
  };
}
