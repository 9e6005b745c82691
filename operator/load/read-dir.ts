// The IO edge of loading: walk clusters/, manifests/ and policies/ of a fleet
// root. Refuses symlinks that leave the root and files over the size limit
// (without reading them whole); everything else is left to loadFleetFiles.
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Finding } from '../core/model.js';
import { FLEET_DIRS, isFleetFile, type FleetFile, type LoadLimits } from './load-files.js';

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

export async function readFleetDir(root: string, limits: LoadLimits, ignore: readonly string[] = []): Promise<{ files: FleetFile[]; findings: Finding[] }> {
  const realRoot = await realpath(root);
  const files: FleetFile[] = [];
  const findings: Finding[] = [];
  let tooMany = false;
  const ignored = (rel: string) => ignore.some((d) => rel === d || rel.startsWith(`${d.replace(/\/$/, '')}/`));

  async function walk(abs: string, rel: string, depth: number): Promise<void> {
    if (depth > 32 || ignored(rel)) return;
    let info = await lstat(abs).catch(() => undefined);
    if (!info) return;
    if (info.isSymbolicLink()) {
      const target = await realpath(abs).catch(() => undefined);
      if (!target || !inside(realRoot, target)) {
        findings.push({ severity: 'error', code: 'SymlinkOutsideRoot', place: { file: rel, line: 1, col: 1 }, message: `symbolic link points outside the fleet repo${target ? ` (to ${relative(realRoot, target)})` : ' (or nowhere)'}; gitfed only reads files inside it` });
        return;
      }
      info = await stat(abs);
    }
    if (info.isDirectory()) {
      for (const name of (await readdir(abs)).sort()) await walk(join(abs, name), `${rel}/${name}`, depth + 1);
      return;
    }
    if (!info.isFile() || !isFleetFile(rel)) return;
    // Over the limit is an error, never a partial fleet (prune would delete the rest).
    if (files.length >= limits.maxFiles) { tooMany = true; return; }
    if (info.size > limits.maxFileBytes) {
      findings.push({ severity: 'error', code: 'FileTooLarge', place: { file: rel, line: 1, col: 1 }, message: `file is ${info.size} bytes; the limit is ${limits.maxFileBytes}: split it into several files` });
      return;
    }
    files.push({ path: toPosix(rel), content: await readFile(abs) });
  }

  for (const dir of FLEET_DIRS) await walk(join(realRoot, dir), dir, 0);
  if (tooMany) findings.push({ severity: 'error', code: 'TooManyFiles', message: `the fleet has more than ${limits.maxFiles} files; the limit is ${limits.maxFiles}: nothing is loaded` });
  return { files, findings };
}
