// Where a ref of the git server points, in ONE request: the ref
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

/**
 * Where a ref of the server points, with that commit in the clone: fetched
 * (as `name`, a branch or a full ref) only when the clone does not hold it
 * yet. Undefined when the ref does not exist: "missing" is the server's
 * answer, never a failed fetch taken for one.
 */
export async function fetchedRef(o: { http: HttpClient; dir: string; url: string; ref: string; name: string; cache: object; auth: ReturnType<typeof authCallbacks> }): Promise<string | undefined> {
  const oid = await remoteRef(o);
  if (!oid || await hasCommit(o.dir, oid, o.cache)) return oid;
  const r = await git.fetch({ fs, http: o.http, dir: o.dir, remote: 'origin', ref: o.name, remoteRef: o.name, singleBranch: true, tags: false, cache: o.cache, ...o.auth });
  if (!r.fetchHead) throw new Error(`fetching ${o.name} returned no commit`);
  return r.fetchHead;
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
