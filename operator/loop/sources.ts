// The two ends the operator can be wired to: a git remote (fleet branch in,
// status branch and notes out) or a local directory (status files written
// to a directory the loader ignores).
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { redact, type GitAuth } from '../git/credentials.js';
import { readControlFile } from '../git/control-branch.js';
import { writeNote } from '../git/notes.js';
import { RepoSource } from '../git/repo-source.js';
import { StatusWriter } from '../git/status-writer.js';
import type { Finding } from '../core/model.js';
import { DEFAULT_LIMITS, formatFinding, type FleetFile, type LoadLimits } from '../load/index.js';
import { readFleetDir } from '../load/read-dir.js';
import { filesRevision } from '../load/revision.js';
import type { RevisionSource, StatusSink } from './operator-types.js';
import { replaceStatusDir, statusDirHolds } from './status-dir.js';

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
  /** Every git request must be done within this long (default 60 s). */
  gitTimeoutMs?: number;
}

export function gitEnds(o: GitEndsOptions): { source: RevisionSource; sink: StatusSink } {
  const timeout = o.gitTimeoutMs ? { timeoutMs: o.gitTimeoutMs } : {};
  const repo = new RepoSource({ url: o.url, branch: o.branch, dir: o.workDir, ...(o.auth ? { auth: o.auth } : {}), ...(o.path ? { path: o.path } : {}), ...timeout });
  const writer = new StatusWriter({
    dir: o.workDir, url: o.url, author: o.author, ...(o.auth ? { auth: o.auth } : {}), ...timeout,
    ...(o.statusDir ? { branch: o.branch, subdir: o.statusDir } : { branch: o.statusBranch }),
  });
  const clean = (e: unknown) => Object.assign(new Error(redact((e as Error).message, o.auth)), { code: (e as { code?: string }).code });
  return {
    source: {
      describe: redact(o.url, o.auth),
      branch: o.branch,
      head: (push) => repo.fetch(push).catch((e) => { throw clean(e); }),
      files: async (rev) => ({ files: await repo.files(rev), findings: [] }),
    },
    sink: {
      read: (p) => writer.readFile(p).catch((e) => { throw clean(e); }),
      write: (files, message, signal) => writer.write(files, message, signal).catch((e) => { throw clean(e); }),
      control: () => readControlFile({ dir: o.workDir, url: o.url, author: o.author, ...(o.auth ? { auth: o.auth } : {}), ...timeout }).catch((e) => { throw clean(e); }),
      note: (rev, text, signal) => writeNote({ dir: o.workDir, url: o.url, author: o.author, commit: rev, text, ...(o.auth ? { auth: o.auth } : {}), ...timeout, ...(signal ? { signal } : {}) }).catch((e) => { throw clean(e); }),
    },
  };
}

/**
 * A local checkout: the revision is a hash of the fleet files' content and
 * of the problems met reading them. Reading problems (too many files, a
 * symlink out of the root, a file over the size limit) are load errors: a
 * partial fleet is never applied (with --prune it would delete the rest).
 */
export function dirEnds(dir: string, statusDir: string, limits: LoadLimits = DEFAULT_LIMITS): { source: RevisionSource; sink: StatusSink } {
  const ignore = [relative(dir, statusDir)];
  let read: { files: FleetFile[]; findings: Finding[] } = { files: [], findings: [] };
  return {
    source: {
      describe: dir,
      branch: '(working directory)',
      head: async () => {
        read = await readFleetDir(dir, limits, ignore);
        return filesRevision(read.files, read.findings.map(formatFinding));
      },
      files: async () => read,
    },
    sink: {
      read: async (p) => readFile(join(statusDir, p), 'utf8').catch(() => undefined),
      write: async (out, message) => {
        if (await statusDirHolds(statusDir, out)) return { committed: false };
        await replaceStatusDir(statusDir, out, message);
        return { committed: true };
      },
    },
  };
}
