// A fleet repo on the sandbox's real git server, written with the git CLI the
// way a user pushes: a local clone, commit, push.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FaultEnv } from './env.js';
import { fleetFiles, type FleetDef } from './fleet.js';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface FleetRepo {
  /** Clone URL on the sandbox's git server. */
  url: string;
  /** Path of the repo on the git server (for a front that forwards to it). */
  path: string;
  clone: string;
  /** Replace the fleet files with revision `rev` and push it; returns the commit. */
  pushRevision(rev: number): Promise<string>;
  /** Push a commit with these files (path -> content) to `branch` as its whole tree. */
  pushBranch(branch: string, files: Record<string, string | Buffer>, message: string): Promise<void>;
  /** Subjects of the commits on a branch of the remote, newest first ([] when it does not exist). */
  log(branch: string): string[];
}

async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), text);
  }
}

export async function createFleetRepo(env: FaultEnv, def: FleetDef, dir: string): Promise<FleetRepo> {
  const name = `${def.name}.git`;
  const url = await env.sb.git.createRepo(name);
  const clone = join(dir, 'src');
  git(dir, 'init', '-q', '-b', 'main', clone);
  const repo: FleetRepo = {
    url, path: `/${name}`, clone,
    async pushRevision(rev) {
      for (const d of ['clusters', 'manifests', 'policies']) await rm(join(clone, d), { recursive: true, force: true });
      await writeFiles(clone, fleetFiles(def, rev));
      git(clone, 'add', '-A');
      git(clone, 'commit', '-q', '-m', `revision ${rev}`);
      git(clone, 'push', '-q', url, 'main');
      return git(clone, 'rev-parse', 'HEAD').trim();
    },
    async pushBranch(branch, files, message) {
      const side = join(dir, `branch-${branch.replace(/[^a-z0-9]/gi, '-')}`);
      git(dir, 'init', '-q', '-b', branch, side);
      await writeFiles(side, files);
      git(side, 'add', '-A');
      git(side, 'commit', '-q', '-m', message);
      git(side, 'push', '-q', '--force', url, `${branch}:${branch}`);
    },
    log(branch) {
      const view = join(dir, `view-${Math.random().toString(36).slice(2)}`);
      git(dir, 'init', '-q', view);
      try {
        git(view, 'fetch', '-q', url, branch);
      } catch {
        return [];
      }
      return git(view, 'log', '--format=%s', 'FETCH_HEAD').trim().split('\n');
    },
  };
  return repo;
}
