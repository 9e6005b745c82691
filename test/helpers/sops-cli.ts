// The real sops CLI for the encrypted-Secret tests: built once per machine
// from the Go module proxy (the pinned module in test/tools/sops) into the
// user's cache directory, like the sandbox's Kubernetes binaries. Test-only:
// nothing in gitfed runs sops.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { ensureGoTool, pinnedVersion, type GoTool } from './go-tool.js';

const SOPS: GoTool = { dir: 'sops', name: 'sops', pkg: 'github.com/getsops/sops/v3/cmd/sops', module: 'github.com/getsops/sops/v3' };

/** The sops version pinned in go.mod (the `tool` module's require line). */
export function sopsVersion(): string {
  return pinnedVersion(SOPS);
}

/** Path of the built sops, or why there is none (no Go). Builds on first use (a few minutes on 2 cores). */
export async function ensureSops(log: (l: string) => void = () => undefined): Promise<string | { skip: string }> {
  const built = await ensureGoTool(SOPS, log);
  return typeof built === 'string' ? built : { skip: 'Go is not installed: the sops CLI these tests encrypt with cannot be built' };
}

/** Runs sops with no network version check; stdout, or throws with stderr. */
export function sops(bin: string, args: string[], env: Record<string, string> = {}, cwd?: string): string {
  return execFileSync(bin, args, {
    encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), SOPS_DISABLE_VERSION_CHECK: '1', ...env },
  });
}
