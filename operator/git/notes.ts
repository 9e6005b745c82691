// What happened to each pushed revision, attached to the source commit as a
// git note under refs/notes/gitfed, so `git log --notes=gitfed` shows it.
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { authCallbacks, type GitAuth } from './credentials.js';

export const NOTES_REF = 'refs/notes/gitfed';

export async function writeNote(opts: { dir: string; url: string; auth?: GitAuth; author: { name: string; email: string }; commit: string; text: string; now?: number; ref?: string }): Promise<void> {
  const ref = opts.ref ?? NOTES_REF;
  const ts = Math.floor((opts.now ?? Date.now()) / 1000);
  const who = { ...opts.author, timestamp: ts, timezoneOffset: 0 };
  await git.addNote({ fs, dir: opts.dir, ref, oid: opts.commit, note: opts.text.endsWith('\n') ? opts.text : opts.text + '\n', force: true, author: who, committer: who });
  // Notes are gitfed's own ref: this operator's view wins (only the leader writes).
  await git.push({ fs, http, dir: opts.dir, remote: 'origin', ref, remoteRef: ref, force: true, ...authCallbacks(opts.auth) });
}
