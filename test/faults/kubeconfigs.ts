// Kubeconfigs for the operator under test: the sandbox's clusters, with some
// of them reached through a fault proxy instead of directly.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubeconfig } from '../../operator/sandbox/identities.js';
import type { SandboxCluster } from '../../operator/sandbox/index.js';

export async function writeKubeconfig(dir: string, clusters: SandboxCluster[], via: Record<string, string> = {}): Promise<string> {
  const file = join(dir, 'kubeconfig');
  const entries = clusters.map((c) => ({ context: c.name, server: via[c.name] ?? c.server, ca: c.ca, token: c.adminToken, user: 'admin' }));
  await writeFile(file, kubeconfig(entries), { mode: 0o600 });
  return file;
}
