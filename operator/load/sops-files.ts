// Between parsing and building the fleet: every SOPS-encrypted file is
// opened in memory, or dropped with an error at its file:line. An error
// makes the revision unusable (nothing of it is applied), so a file that
// cannot be opened never loads half-decrypted or as ENC[...] strings.
import type { Finding } from '../core/model.js';
import { NO_KEY_HELP, readAgeIdentities, type AgeIdentities, type AgeKeySource } from './age-keys.js';
import type { ParsedFile } from './load-files.js';
import { decryptSopsDocs, unwrapDataKey } from './sops.js';
import { isSopsFile, readSopsMeta } from './sops-meta.js';

const err = (code: string, place: Finding['place'], message: string): Finding => ({ severity: 'error', code, place, message });

/** Without keys (the synchronous loader): each encrypted file is an error that says how to give a key. */
export function refuseSopsFiles(parsed: ParsedFile[]): Finding[] {
  const out: Finding[] = [];
  for (const file of parsed) {
    if (!isSopsFile(file.docs)) continue;
    const meta = readSopsMeta(file.docs[0]!);
    out.push(err('SopsNoKey', meta.place, `this file is encrypted with SOPS and no age key was given: ${NO_KEY_HELP}`));
    file.docs = [];
  }
  return out;
}

/** Opens the encrypted files of `parsed` in place; the findings of those that cannot be opened. */
export async function openSopsFiles(parsed: ParsedFile[], source: AgeKeySource): Promise<Finding[]> {
  const out: Finding[] = [];
  let ids: AgeIdentities | { error: string } | undefined;
  for (const file of parsed) {
    if (!isSopsFile(file.docs)) continue;
    const docs = file.docs;
    file.docs = [];
    const meta = readSopsMeta(docs[0]!);
    if ('message' in meta) { out.push(err('SopsBadMetadata', meta.place, meta.message)); continue; }
    // Read once per load, and only for a fleet that has an encrypted file.
    ids ??= await readAgeIdentities(source);
    const recipients = meta.age.map((a) => a.recipient).join(', ');
    if ('error' in ids) { out.push(err('SopsNoKey', meta.place, `this file is encrypted with SOPS for the age recipient(s) ${recipients}; ${ids.error}`)); continue; }
    const key = await unwrapDataKey(meta, ids);
    if (typeof key === 'string') { out.push(err('SopsWrongKey', meta.place, key)); continue; }
    const problem = decryptSopsDocs(docs, meta, key);
    key.fill(0);
    if (problem) { out.push(err(problem.code, problem.place, problem.message)); continue; }
    file.docs = docs;
    file.encrypted = true;
  }
  return out;
}
