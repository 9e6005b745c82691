// The fleet repo as seen by the operator: a local clone kept in a cache
// directory (cloned once, then fetched; when the branch still points at a
// commit the clone holds, one request only asks where it points), and the
// fleet files of a commit read straight from the object store, without
// checking anything out.
import * as fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import git from 'isomorphic-git';
import type { FleetFile } from '../load/index.js';
import { isFleetFile } from '../load/index.js';
import { authCallbacks, type GitAuth } from './credentials.js';
import type { HttpClient } from 'isomorphic-git/http/node';
import { DEFAULT_GIT_TIMEOUT_MS, httpWithTimeout } from './http-timeout.js';
import { hasCommit, remoteRef } from './remote-refs.js';

export interface RepoOptions {
  url: string;
  branch: string;
  /** Local clone (created if missing). */
  dir: string;
  auth?: GitAuth;
  /** Fleet root inside the repo ("" = top level). */
  path?: string;
  /** Every request to the git server must be done within this long. */
  timeoutMs?: number;
}

/** clone dir -> the "origin" URL this process last set there (every tick asks; the config is written once). */
const originOf = new Map<string, string>();

/** A local repository with "origin" pointing at the remote (created once). */
export async function ensureRepo(dir: string, url: string, branch: string): Promise<void> {
  if (originOf.get(dir) === url && fs.existsSync(`${dir}/.git/HEAD`)) return;
  if (!fs.existsSync(`${dir}/.git/HEAD`)) {
    await mkdir(dir, { recursive: true });
    await git.init({ fs, dir, defaultBranch: branch });
  }
  await git.addRemote({ fs, dir, remote: 'origin', url, force: true });
  originOf.set(dir, url);
}

export class GitSourceError extends Error {
  readonly code = 'EGITSOURCE';
}

export class RepoSource {
  readonly cache = {};
  private readonly http: HttpClient;
  constructor(readonly opts: RepoOptions) {
    this.http = httpWithTimeout(opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS);
  }

  get auth() {
    return authCallbacks(this.opts.auth);
  }

  /**
   * The branch's head commit, fetched unless this clone already holds it
   * (then one request: where does the branch point?). `push`: a webhook
   * said the branch moved, so that question is skipped and the fetch (two
   * requests, the first of which answers it too) starts at once, unless the
   * commit the webhook names is already here (nothing new, most likely).
   */
  async fetch(push?: { after?: string }): Promise<string> {
    const { dir, url, branch } = this.opts;
    await ensureRepo(dir, url, branch);
    if (!push || (push.after && await hasCommit(dir, push.after, this.cache))) {
      const head = await remoteRef({ http: this.http, url, ref: `refs/heads/${branch}`, auth: this.auth });
      if (head && await hasCommit(dir, head, this.cache)) return head;
    }
    // New commits, or a branch that is not refs/heads/<branch> (the fetch resolves it, or says it is missing).
    const r = await git.fetch({ fs, http: this.http, dir, remote: 'origin', ref: branch, singleBranch: true, tags: false, cache: this.cache, ...this.auth });
    if (!r.fetchHead) throw new GitSourceError(`branch ${branch} does not exist in ${url} (nothing pushed yet?)`);
    return r.fetchHead;
  }

  /** Fleet files (clusters/, manifests/, policies/ under the fleet path) of a commit. */
  async files(commit: string): Promise<FleetFile[]> {
    const prefix = (this.opts.path ?? '').replace(/^\/+|\/+$/g, '');
    const out: FleetFile[] = [];
    const walk = async (treeOid: string, base: string): Promise<void> => {
      const { tree } = await git.readTree({ fs, dir: this.opts.dir, oid: treeOid, cache: this.cache });
      for (const e of tree) {
        const full = base ? `${base}/${e.path}` : e.path;
        const rel = prefix ? (full.startsWith(`${prefix}/`) ? full.slice(prefix.length + 1) : undefined) : full;
        if (e.type === 'tree') {
          if (!prefix || full === prefix || prefix.startsWith(`${full}/`) || rel !== undefined) await walk(e.oid, full);
        } else if (e.type === 'blob' && rel !== undefined && isFleetFile(rel) && e.mode !== '120000') {
          const { blob } = await git.readBlob({ fs, dir: this.opts.dir, oid: e.oid, cache: this.cache });
          out.push({ path: rel, content: blob });
        }
      }
    };
    const { commit: c } = await git.readCommit({ fs, dir: this.opts.dir, oid: commit, cache: this.cache });
    await walk(c.tree, '');
    return out;
  }
}
