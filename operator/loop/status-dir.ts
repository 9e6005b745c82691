// Where status may go. gitfed replaces the whole content of its status
// directory on every update, so `--status-dir .`, the fleet root, `.git` or
// any directory holding other files would be deleted. Only a fresh (absent
// or empty) directory, or one gitfed marked as its own, is accepted.
import { mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, parse as parsePath, relative, resolve, sep } from 'node:path';
import { FLEET_DIRS } from '../load/load-files.js';
import { ownsStatusTree, STATUS_MARKER, withMarker } from '../report/status-tree.js';

export class StatusDirRefused extends Error {
  readonly code = 'StatusDirRefused';
}

/** The real path of `p`, or of its deepest existing parent joined with the rest. */
async function real(p: string): Promise<string> {
  const abs = resolve(p);
  const r = await realpath(abs).catch(() => undefined);
  if (r) return r;
  const parent = dirname(abs);
  return parent === abs ? abs : join(await real(parent), relative(parent, abs));
}

const within = (root: string, p: string) => { const rel = relative(root, p); return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !parsePath(rel).root); };

/** With --dir: refuse a status directory that is not a fresh one or gitfed's own. */
export async function checkStatusDir(fleetDir: string, statusDir: string): Promise<void> {
  const fleet = await real(fleetDir);
  const dir = await real(statusDir);
  const say = (why: string) => new StatusDirRefused(`--status-dir ${statusDir}: ${why}; gitfed replaces everything in its status directory, so it must be a new subdirectory of its own (default: ${join(fleetDir, '.gitfed-status')})`);
  if (within(dir, fleet)) throw say(dir === fleet ? 'is the fleet directory itself' : 'contains the fleet directory');
  if (dir.split(sep).includes('.git')) throw say('is inside a .git directory');
  if (FLEET_DIRS.some((d) => within(join(fleet, d), dir))) throw say(`is inside the fleet's ${FLEET_DIRS.join('/, ')}/ directories`);
  const info = await stat(dir).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw say('is not a directory');
  if (!ownsStatusTree(await readdir(dir))) throw say(`already holds files gitfed did not write (no ${STATUS_MARKER})`);
}

/** With --repo and --status-dir NAME: one top-level directory of the watched branch that is not part of the fleet. */
export function checkStatusSubdir(name: string, fleetPath = ''): void {
  const say = (why: string) => new StatusDirRefused(`--status-dir ${name}: ${why}; with --repo it is one new top-level directory name of the watched branch, like .gitfed-status`);
  if (!name || /[/\\]/.test(name) || name === '.' || name === '..') throw say('is not one directory name');
  if (name.toLowerCase() === '.git') throw say('is git\'s own directory');
  const top = fleetPath.replace(/^\/+/, '').split('/')[0] ?? '';
  if (top ? name === top : (FLEET_DIRS as readonly string[]).includes(name)) throw say('holds the fleet');
}

/** Replace the status directory's content, re-checking that gitfed owns it first. */
export async function replaceStatusDir(statusDir: string, files: ReadonlyMap<string, string>, message: string): Promise<void> {
  const existing = await readdir(statusDir).catch(() => undefined);
  if (existing && !ownsStatusTree(existing)) throw new StatusDirRefused(`${statusDir} holds files gitfed did not write (no ${STATUS_MARKER}); not replaced`);
  await rm(statusDir, { recursive: true, force: true });
  for (const [p, t] of withMarker(files)) {
    await mkdir(dirname(join(statusDir, p)), { recursive: true });
    await writeFile(join(statusDir, p), t);
  }
  await writeFile(join(statusDir, 'COMMIT_MESSAGE'), message + '\n');
}

/** True when every file already holds this content (nothing to write). */
export async function statusDirHolds(statusDir: string, files: ReadonlyMap<string, string>): Promise<boolean> {
  const same = await Promise.all([...files].map(async ([p, t]) => (await readFile(join(statusDir, p), 'utf8').catch(() => undefined)) === t));
  return same.every(Boolean);
}
