// Where a branch of the git server points, in ONE request: the ref
// advertisement of protocol v1 (a GET of info/refs). A fetch costs two
// requests more (the advertisement again, then the negotiation POST) even
// when it brings nothing, and on a hosted git server each is a round trip.
// A quiet tick only needs the advertisement: when the branch points at a
// commit this clone already holds, there is nothing to fetch.
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { HttpClient } from 'isomorphic-git/http/node';
import type { authCallbacks } from './credentials.js';

/** The commit a ref of the server (`refs/heads/main`, `refs/notes/gitfed`) points at, or undefined when it does not exist. */
export async function remoteRef(o: { http: HttpClient; url: string; ref: string; auth: ReturnType<typeof authCallbacks> }): Promise<string | undefined> {
  const refs = await git.listServerRefs({ http: o.http, url: o.url, prefix: o.ref, protocolVersion: 1, ...o.auth });
  return refs.find((r) => r.ref === o.ref)?.oid;
}

/** The commit `refs/heads/<branch>` of the server points at, or undefined when the branch does not exist. */
export function remoteBranch(o: { http: HttpClient; url: string; branch: string; auth: ReturnType<typeof authCallbacks> }): Promise<string | undefined> {
  return remoteRef({ http: o.http, url: o.url, ref: `refs/heads/${o.branch}`, auth: o.auth });
}

/**
 * The commit is in the local object store. A commit gets there only with
 * everything it needs: a fetch stores its pack whole, and gitfed writes the
 * trees and blobs of its own commits before the commit.
 */
export async function hasCommit(dir: string, oid: string, cache: object): Promise<boolean> {
  try {
    await git.readCommit({ fs, dir, oid, cache });
    return true;
  } catch {
    return false;
  }
}
