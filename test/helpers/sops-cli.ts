// The real sops CLI for the encrypted-Secret tests: built once per machine
// from the Go module proxy (the pinned module in test/tools/sops) into the
// user's cache directory, like the sandbox's Kubernetes binaries. Test-only:
// nothing in gitfed runs sops.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheRoot } from '../../operator/sandbox/binaries.js';

const run = promisify(execFile);

function moduleDir(): string {
  // dist/test/helpers -> test/tools/sops in the source tree
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'tools', 'sops');
}

function goBinary(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, 'go'))) return join(d, 'go');
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/** The sops version pinned in go.mod (the `tool` module's require line). */
export function sopsVersion(): string {
  const m = /github\.com\/getsops\/sops\/v3 (v[\d.]+)/.exec(readFileSync(join(moduleDir(), 'go.mod'), 'utf8'));
  return m ? m[1]! : 'unknown';
}

/** Path of the built sops, or why there is none (no Go). Builds on first use (a few minutes on 2 cores). */
export async function ensureSops(log: (l: string) => void = () => undefined): Promise<string | { skip: string }> {
  const dir = moduleDir();
  const h = createHash('sha256').update(readFileSync(join(dir, 'go.mod'))).update(readFileSync(join(dir, 'go.sum'))).digest('hex').slice(0, 12);
  const target = join(cacheRoot(), `sops-${sopsVersion()}-${h}`, 'sops');
  if (existsSync(target)) return target;
  const go = goBinary();
  if (!go) return { skip: 'Go is not installed: the sops CLI these tests encrypt with cannot be built' };
  log(`building sops ${sopsVersion()} from the Go module proxy into ${dirname(target)} (first time only)`);
  const tmp = `${target}.partial`;
  await mkdir(dirname(target), { recursive: true });
  await rm(tmp, { force: true });
  const started = Date.now();
  await run(go, ['build', '-p', '2', '-trimpath', '-ldflags', '-s -w', '-o', tmp, 'github.com/getsops/sops/v3/cmd/sops'], {
    cwd: dir, env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() }, maxBuffer: 16 * 1024 * 1024,
  });
  await rename(tmp, target);
  log(`built sops in ${Math.round((Date.now() - started) / 1000)} s`);
  return target;
}

/** Runs sops with no network version check; stdout, or throws with stderr. */
export function sops(bin: string, args: string[], env: Record<string, string> = {}, cwd?: string): string {
  return execFileSync(bin, args, {
    encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), SOPS_DISABLE_VERSION_CHECK: '1', ...env },
  });
}
