// Test and benchmark tools built from the Go module proxy: a tiny module in
// test/tools/<name>/ pins the tool (its go.mod requires it), and `go build`
// of the tool's main package writes the binary into the user's cache
// directory, keyed by a hash of go.mod + go.sum, like the sandbox's
// Kubernetes binaries. Nothing in gitfed itself runs these tools.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheRoot } from '../../operator/sandbox/binaries.js';

const run = promisify(execFile);

export interface GoTool {
  /** test/tools/<dir> */
  dir: string;
  /** Cache directory prefix and binary name. */
  name: string;
  /** The Go package to build (the tool's main package). */
  pkg: string;
  /** The pinned module whose version names the cache entry. */
  module: string;
}

/** dist/test/helpers -> test/tools/<dir> in the source tree. */
export function toolModuleDir(dir: string): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'tools', dir);
}

export function goBinary(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, 'go'))) return join(d, 'go');
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/** The version of `module` that the tool's go.mod requires. */
export function pinnedVersion(tool: GoTool): string {
  const text = readFileSync(join(toolModuleDir(tool.dir), 'go.mod'), 'utf8');
  const m = new RegExp(`${tool.module.replace(/[.]/g, '\\.')} (v[\\w.+-]+)`).exec(text);
  return m ? m[1]! : 'unknown';
}

/** Where the built binary lives (whether or not it is built yet). */
export function toolTarget(tool: GoTool): string {
  const dir = toolModuleDir(tool.dir);
  const h = createHash('sha256').update(readFileSync(join(dir, 'go.mod'))).update(readFileSync(join(dir, 'go.sum'))).digest('hex').slice(0, 12);
  return join(cacheRoot(), `${tool.name}-${pinnedVersion(tool)}-${h}`, tool.name);
}

/** Path of the built tool, or why there is none (no Go). Builds on first use. */
export async function ensureGoTool(tool: GoTool, log: (l: string) => void = () => undefined): Promise<string | { skip: string }> {
  const target = toolTarget(tool);
  if (existsSync(target)) return target;
  const go = goBinary();
  if (!go) return { skip: `Go is not installed: ${tool.name} cannot be built` };
  log(`building ${tool.name} ${pinnedVersion(tool)} from the Go module proxy into ${dirname(target)} (first time only)`);
  const tmp = `${target}.partial`;
  await mkdir(dirname(target), { recursive: true });
  await rm(tmp, { force: true });
  const started = Date.now();
  // nice: the first build shares the machine with whatever else runs.
  await run('nice', ['-n', '10', go, 'build', '-p', '2', '-trimpath', '-ldflags', '-s -w', '-o', tmp, tool.pkg], {
    cwd: toolModuleDir(tool.dir), env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() }, maxBuffer: 16 * 1024 * 1024,
  });
  await rename(tmp, target);
  log(`built ${tool.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  return target;
}

/** The directory of a module's source as the tool module resolves it (downloaded if needed). */
export async function moduleSourceDir(tool: GoTool, module: string): Promise<string> {
  const go = goBinary();
  if (!go) throw new Error(`Go is not installed: cannot find ${module}'s source`);
  const { stdout } = await run(go, ['mod', 'download', '-json', module], { cwd: toolModuleDir(tool.dir), maxBuffer: 4 * 1024 * 1024 });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}
