// What happened to each pushed revision, attached to the source commit as a
// git note under refs/notes/gitfed, so `git log --notes=gitfed` shows it.
// The remote notes ref is the truth: it is fetched first and the note is
// added on top of it, and the push is never forced, so a restarted operator
// (empty cache) or a new leader appends instead of wiping the history.
import * as fs from 'node:fs';
import git, { Errors } from 'isomorphic-git';
import { authCallbacks, type GitAuth } from './credentials.js';
import { DEFAULT_GIT_TIMEOUT_MS, httpWithTimeout } from './http-timeout.js';
import { fetchedRef } from './remote-refs.js';
import { ensureRepo } from './repo-source.js';

export const NOTES_REF = 'refs/notes/gitfed';

export interface NoteOptions {
  dir: string;
  url: string;
  auth?: GitAuth;
  author: { name: string; email: string };
  commit: string;
  text: string;
  now?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Leadership: once aborted, nothing more is pushed. */
  signal?: AbortSignal;
  /** Notes ref (default refs/notes/gitfed; plans use refs/notes/gitfed-plan). */
  ref?: string;
}

export async function writeNote(opts: NoteOptions): Promise<void> {
  const notesRef = opts.ref ?? NOTES_REF;
  const http = httpWithTimeout(opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS);
  const auth = authCallbacks(opts.auth);
  const cache = {};
  const ts = Math.floor((opts.now ?? Date.now()) / 1000);
  const who = { ...opts.author, timestamp: ts, timezoneOffset: 0 };
  await ensureRepo(opts.dir, opts.url, 'main');
  const max = opts.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const remote = await fetchedRef({ http, dir: opts.dir, url: opts.url, ref: notesRef, name: notesRef, cache, auth });
    // Build on the remote's notes, not on whatever this cache held.
    if (remote) await git.writeRef({ fs, dir: opts.dir, ref: notesRef, value: remote, force: true });
    // `force` only replaces an earlier note on the same commit (a revision seen again).
    await git.addNote({ fs, dir: opts.dir, ref: notesRef, oid: opts.commit, note: opts.text.endsWith('\n') ? opts.text : opts.text + '\n', force: true, author: who, committer: who });
    try {
      opts.signal?.throwIfAborted();
      const p = await git.push({ fs, http, dir: opts.dir, remote: 'origin', ref: notesRef, remoteRef: notesRef, ...auth, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (!p.ok) throw new Error(p.error ?? 'push failed');
      return;
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const rejected = e instanceof Errors.PushRejectedError || /non-fast-forward|fetch first|rejected/i.test((e as Error).message);
      if (!rejected || attempt >= max) throw e;
      // Another writer added a note in between: fetch theirs and add ours on top.
    }
  }
}
