// What `gitfed --version` and `gitfed` with no arguments print: gitfed's own
// version (package.json), the Node that runs it, and the Kubernetes version
// the tests run against (the one the sandbox builds, from its go.mod).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goModuleDir } from '../sandbox/binaries.js';
import { packageRoot } from './package-root.js';

export interface VersionInfo {
  gitfed: string;
  node: string;
  /** Kubernetes versions the test suite runs against, e.g. ["v1.36.3"]. */
  kubernetesTested: string[];
}

/** The `k8s.io/kubernetes vX.Y.Z` requirement of the sandbox's Go module. */
export function kubernetesVersionsTested(goMod: string): string[] {
  return [...goMod.matchAll(/^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+\S*)/gm)].map((m) => m[1]!);
}

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  let tested: string[] = [];
  try {
    tested = kubernetesVersionsTested(readFileSync(join(goModuleDir(), 'go.mod'), 'utf8'));
  } catch {
    // An install without the sandbox sources: say nothing rather than guess.
  }
  return { gitfed: pkg.version, node: process.version, kubernetesTested: tested };
}

export function versionText(v: VersionInfo): string {
  return [
    `gitfed ${v.gitfed}`,
    `node ${v.node}`,
    `kubernetes tested: ${v.kubernetesTested.join(', ') || 'unknown (sandbox sources not installed)'}`,
  ].join('\n');
}
