// Writes the status tree as ONE commit on the status branch (default
// gitfed/status), built straight into the object store (no checkout), and
// only when the content changed. A push rejected because someone else moved
// the branch is retried on top of their commit, so exactly one status commit
// lands and nothing is lost.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import git, { Errors } from 'isomorphic-git';
import { authCallbacks, type GitAuth } from './credentials.js';
import type { HttpClient } from 'isomorphic-git/http/node';
import { DEFAULT_GIT_TIMEOUT_MS, httpWithTimeout } from './http-timeout.js';
import { fetchedRef } from './remote-refs.js';
import { ensureRepo } from './repo-source.js';
import { ownsStatusTree, STATUS_MARKER, withMarker } from '../report/status-tree.js';

/** The status would replace something gitfed did not write. */
export class StatusNotOwnedError extends Error {
  readonly code = 'ESTATUSNOTOWNED';
}

export interface StatusWriterOptions {
  dir: string;
  url: string;
  branch: string;
  auth?: GitAuth;
  author: { name: string; email: string };
  maxAttempts?: number;
  /** Clock for commit timestamps (seconds); the caller owns time. */
  now?: () => number;
  /** Called right before each push (tests use it to race a concurrent commit). */
  beforePush?: (attempt: number) => Promise<void>;
  /**
   * Write the status into this top-level directory of `branch` (e.g. the
   * watched branch itself), keeping the rest of its tree, instead of making
   * the status the branch's whole tree.
   */
  subdir?: string;
  /** Every request to the git server must be done within this long. */
  timeoutMs?: number;
}

export interface WriteResult {
  committed: boolean;
  oid?: string;
  attempts: number;
}

interface Dir { [name: string]: Dir | string }

export class StatusWriter {
  private readonly cache = {};
  /**
   * Blob oids already in the local object store (from the status branch as
   * fetched, or written before) and tree oids by their entries: an unchanged
   * file or directory is hashed, not written again, also after a restart.
   */
  private readonly known = new Set<string>();
  private readonly trees = new Map<string, string>();
  private learned?: string;
  private readonly http: HttpClient;
  constructor(readonly opts: StatusWriterOptions) {
    this.http = httpWithTimeout(opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS);
  }

  private get auth() {
    return authCallbacks(this.opts.auth);
  }

  /** The remote status branch head, or undefined when it does not exist yet. */
  async remoteHead(): Promise<string | undefined> {
    await ensureRepo(this.opts.dir, this.opts.url, 'main');
    // Ask the server first: "branch missing" must never be confused with a
    // failed fetch, or a parentless commit would be pushed over the history.
    // Our own last commit, or one fetched before, is not fetched again (a quiet tick's status check is one request).
    return fetchedRef({ http: this.http, dir: this.opts.dir, url: this.opts.url, ref: `refs/heads/${this.opts.branch}`, name: this.opts.branch, cache: this.cache, auth: this.auth });
  }

  /** Read a file of the remote status branch (e.g. allocations.yaml at start-up). */
  async readFile(path: string): Promise<string | undefined> {
    const head = await this.remoteHead();
    if (!head) return undefined;
    try {
      const filepath = this.opts.subdir ? `${this.opts.subdir}/${path}` : path;
      const { blob } = await git.readBlob({ fs, dir: this.opts.dir, oid: head, filepath, cache: this.cache });
      return new TextDecoder().decode(blob);
    } catch {
      return undefined;
    }
  }

  private async writeDir(d: Dir): Promise<string> {
    const entries = [];
    for (const name of Object.keys(d).sort()) {
      const v = d[name]!;
      if (typeof v === 'string') {
        const bytes = new TextEncoder().encode(v);
        let oid = blobOid(bytes);
        if (!this.known.has(oid)) {
          oid = await git.writeBlob({ fs, dir: this.opts.dir, blob: bytes });
          this.known.add(oid);
        }
        entries.push({ mode: '100644', path: name, type: 'blob' as const, oid });
      } else entries.push({ mode: '040000', path: name, type: 'tree' as const, oid: await this.writeDir(v) });
    }
    const key = entries.map((e) => `${e.mode} ${e.path} ${e.oid}`).join('\n');
    let tree = this.trees.get(key);
    if (!tree) {
      tree = await git.writeTree({ fs, dir: this.opts.dir, tree: entries });
      this.trees.set(key, tree);
    }
    return tree;
  }

  async writeTree(files: ReadonlyMap<string, string>): Promise<string> {
    // Bounded memory for a long-running operator: forget old objects now and then.
    if (this.known.size > 4 * files.size + 1000) { this.known.clear(); this.trees.clear(); this.learned = undefined; }
    const root: Dir = {};
    for (const [path, text] of files) {
      const parts = path.split('/');
      let d = root;
      for (const p of parts.slice(0, -1)) d = (d[p] ??= {}) as Dir;
      d[parts[parts.length - 1]!] = text;
    }
    return this.writeDir(root);
  }

  /** Remember the blobs of the branch's current tree (they are in the local store after the fetch). */
  private async learn(commit: string): Promise<void> {
    if (this.learned === commit) return;
    const walk = async (oid: string): Promise<void> => {
      const { tree } = await git.readTree({ fs, dir: this.opts.dir, oid, cache: this.cache });
      for (const e of tree) {
        if (e.type === 'blob') this.known.add(e.oid);
        else if (e.type === 'tree') await walk(e.oid);
      }
    };
    const { commit: c } = await git.readCommit({ fs, dir: this.opts.dir, oid: commit, cache: this.cache });
    await walk(c.tree);
    this.learned = commit;
  }

  /**
   * Refuse to replace what gitfed does not own: the status branch's tree, or
   * with `subdir` that directory of the branch, must be absent, empty, or
   * carry the marker (or be a status tree from before the marker existed).
   */
  private async checkOwned(head: string): Promise<void> {
    const { commit } = await git.readCommit({ fs, dir: this.opts.dir, oid: head, cache: this.cache });
    let tree = commit.tree;
    const where = this.opts.subdir ? `directory ${this.opts.subdir} of branch ${this.opts.branch}` : `branch ${this.opts.branch}`;
    if (this.opts.subdir) {
      const entry = (await git.readTree({ fs, dir: this.opts.dir, oid: tree, cache: this.cache })).tree.find((e) => e.path === this.opts.subdir);
      if (!entry) return;
      if (entry.type !== 'tree') throw new StatusNotOwnedError(`${where} is a file, not gitfed's status directory; choose another --status-dir`);
      tree = entry.oid;
    }
    const names = (await git.readTree({ fs, dir: this.opts.dir, oid: tree, cache: this.cache })).tree.map((e) => e.path);
    if (ownsStatusTree(names)) return;
    throw new StatusNotOwnedError(`${where} holds files gitfed did not write (no ${STATUS_MARKER}); gitfed replaces everything in it, so it refuses: choose another ${this.opts.subdir ? '--status-dir' : '--status-branch'}`);
  }

  /** The branch's tree with `subdir` replaced by the status tree. */
  private async graft(parent: string | undefined, status: string): Promise<string> {
    const sub = this.opts.subdir!;
    let entries: Array<{ mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }> = [];
    if (parent) {
      const { commit } = await git.readCommit({ fs, dir: this.opts.dir, oid: parent, cache: this.cache });
      entries = (await git.readTree({ fs, dir: this.opts.dir, oid: commit.tree, cache: this.cache })).tree.filter((e) => e.path !== sub);
    }
    entries.push({ mode: '040000', path: sub, oid: status, type: 'tree' });
    entries.sort((a, b) => (a.path < b.path ? -1 : 1));
    return git.writeTree({ fs, dir: this.opts.dir, tree: entries });
  }

  /** `signal`: leadership; once aborted, nothing more is pushed. */
  async write(files: ReadonlyMap<string, string>, message: string, signal?: AbortSignal): Promise<WriteResult> {
    const head = await this.remoteHead();
    if (head) await this.checkOwned(head);
    if (head) await this.learn(head);
    const statusTree = await this.writeTree(withMarker(files));
    const max = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const parent = attempt === 1 ? head : await this.remoteHead();
      if (parent && attempt > 1) await this.checkOwned(parent);
      const tree = this.opts.subdir ? await this.graft(parent, statusTree) : statusTree;
      if (parent) {
        const { commit } = await git.readCommit({ fs, dir: this.opts.dir, oid: parent, cache: this.cache });
        if (commit.tree === tree) return { committed: false, attempts: attempt };
      }
      const ts = Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
      const who = { ...this.opts.author, timestamp: ts, timezoneOffset: 0 };
      const oid = await git.writeCommit({ fs, dir: this.opts.dir, commit: { tree, parent: parent ? [parent] : [], author: who, committer: who, message: message.endsWith('\n') ? message : message + '\n' } });
      const ref = `refs/heads/${this.opts.branch}`;
      await git.writeRef({ fs, dir: this.opts.dir, ref, value: oid, force: true });
      try {
        await this.opts.beforePush?.(attempt);
        signal?.throwIfAborted();
        const r = await git.push({ fs, http: this.http, dir: this.opts.dir, remote: 'origin', ref, remoteRef: ref, cache: this.cache, ...this.auth, ...(signal ? { signal } : {}) });
        if (!r.ok) throw new Error(r.error ?? 'push failed');
        return { committed: true, oid, attempts: attempt };
      } catch (e) {
        if (signal?.aborted) throw e;
        const rejected = e instanceof Errors.PushRejectedError || /non-fast-forward|fetch first|rejected/i.test((e as Error).message);
        if (!rejected || attempt >= max) throw e;
        // Someone else moved the branch: rebuild on top of theirs and try again.
      }
    }
  }
}

/** Git's object id of a blob: sha1("blob <size>\0" + content). */
function blobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}
