// The two ends the operator can be wired to: a git remote (fleet branch in,
// status branch and notes out) or a local directory (status files written
// to a directory the loader ignores).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { redact, type GitAuth } from '../git/credentials.js';
import { readControlFile } from '../git/control-branch.js';
import { writeNote } from '../git/notes.js';
import { RepoSource } from '../git/repo-source.js';
import { StatusWriter } from '../git/status-writer.js';
import { DEFAULT_LIMITS, type FleetFile } from '../load/index.js';
import { readFleetDir } from '../load/read-dir.js';
import { filesRevision } from '../load/revision.js';
import type { RevisionSource, StatusSink } from './operator.js';

export interface GitEndsOptions {
  url: string;
  branch: string;
  path?: string;
  statusBranch: string;
  /** Commit the status into this directory of the watched branch instead of a status branch. */
  statusDir?: string;
  workDir: string;
  auth?: GitAuth;
  author: { name: string; email: string };
}

export function gitEnds(o: GitEndsOptions): { source: RevisionSource; sink: StatusSink } {
  const repo = new RepoSource({ url: o.url, branch: o.branch, dir: o.workDir, ...(o.auth ? { auth: o.auth } : {}), ...(o.path ? { path: o.path } : {}) });
  const writer = new StatusWriter({
    dir: o.workDir, url: o.url, author: o.author, ...(o.auth ? { auth: o.auth } : {}),
    ...(o.statusDir ? { branch: o.branch, subdir: o.statusDir } : { branch: o.statusBranch }),
  });
  const clean = (e: unknown) => new Error(redact((e as Error).message, o.auth));
  return {
    source: {
      describe: redact(o.url, o.auth),
      branch: o.branch,
      head: () => repo.fetch().catch((e) => { throw clean(e); }),
      files: (rev) => repo.files(rev),
    },
    sink: {
      read: (p) => writer.readFile(p).catch((e) => { throw clean(e); }),
      write: (files, message) => writer.write(files, message).catch((e) => { throw clean(e); }),
      control: () => readControlFile({ dir: o.workDir, url: o.url, author: o.author, ...(o.auth ? { auth: o.auth } : {}) }).catch((e) => { throw clean(e); }),
      note: (rev, text) => writeNote({ dir: o.workDir, url: o.url, author: o.author, commit: rev, text, ...(o.auth ? { auth: o.auth } : {}) }).catch((e) => { throw clean(e); }),
    },
  };
}

/** A local checkout: the revision is a hash of the fleet files' content. */
export function dirEnds(dir: string, statusDir: string): { source: RevisionSource; sink: StatusSink } {
  const ignore = [relative(dir, statusDir)];
  let files: FleetFile[] = [];
  return {
    source: {
      describe: dir,
      branch: '(working directory)',
      head: async () => {
        const read = await readFleetDir(dir, DEFAULT_LIMITS, ignore);
        files = read.files;
        return filesRevision(files);
      },
      files: async () => files,
    },
    sink: {
      read: async (p) => readFile(join(statusDir, p), 'utf8').catch(() => undefined),
      write: async (out, message) => {
        const same = await Promise.all([...out].map(async ([p, t]) => (await readFile(join(statusDir, p), 'utf8').catch(() => undefined)) === t));
        if (same.every(Boolean)) return { committed: false };
        await rm(statusDir, { recursive: true, force: true });
        for (const [p, t] of out) {
          await mkdir(dirname(join(statusDir, p)), { recursive: true });
          await writeFile(join(statusDir, p), t);
        }
        await writeFile(join(statusDir, 'COMMIT_MESSAGE'), message + '\n');
        return { committed: true };
      },
    },
  };
}
