// SOPS-encrypted fleet files, opened in memory. No maintained SOPS library
// exists for JavaScript, and the part gitfed needs is small, so it is
// written here after sops's own code (github.com/getsops/sops/v3):
// - the data key is an age file (one per recipient, in `sops.age[].enc`),
//   opened with the age-encryption library;
// - each value is `ENC[AES256_GCM,data:,iv:,tag:,type:]`, AES-256-GCM with
//   the value's key path joined by ':' plus a trailing ':' as additional
//   data (aes/cipher.go, sops.go Tree.Decrypt); list items share the path of
//   their list;
// - the MAC is SHA-512 over every value in document order (encrypted ones
//   decrypted; with mac_only_encrypted only those, after a fixed prefix),
//   upper-case hex, itself encrypted with the data key and the file's
//   lastmodified as additional data.
// Messages never quote a value, encrypted or not, nor any key material.
import { createDecipheriv, createHash, type Hash } from 'node:crypto';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { FieldPath, SourcePos } from '../core/model.js';
import type { AgeIdentities } from './age-keys.js';
import type { ParsedDoc } from './parse-yaml.js';
import { locateIn } from './positions.js';
import { rfc3339, shouldBeEncrypted, type SopsMeta } from './sops-meta.js';

/** sops.go MACOnlyEncryptedInitialization. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');
/** Marks a list item that was an encrypted comment, removed once its list is walked. */
const COMMENT = Symbol('sops comment');
const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export interface SopsProblem { code: 'SopsIntegrity' | 'SopsMacMismatch'; message: string; place: SourcePos }

/** The data key, from the first age stanza one of the identities opens; else a message naming both sides' recipients. */
export async function unwrapDataKey(meta: SopsMeta, ids: AgeIdentities): Promise<Uint8Array | string> {
  // Loaded here, not at start-up: a fleet without encrypted files never needs it (about 60 modules).
  const { armor, Decrypter } = await import('age-encryption');
  const decrypter = new Decrypter();
  for (const id of ids.identities) decrypter.addIdentity(id);
  // Stanzas for one of our recipients first; the others only cost a failed try.
  const ours = meta.age.filter((a) => ids.recipients.includes(a.recipient));
  for (const a of [...ours, ...meta.age.filter((x) => !ours.includes(x))]) {
    let file: Uint8Array;
    try {
      file = a.enc.includes('-----BEGIN AGE ENCRYPTED FILE-----') ? armor.decode(a.enc) : new TextEncoder().encode(a.enc);
    } catch {
      continue;
    }
    try {
      const key = await decrypter.decrypt(file);
      if (key.length === 32) return key;
    } catch {
      // not for our identities, or damaged: the message below says which
    }
  }
  const fileRecipients = meta.age.map((a) => a.recipient).join(', ');
  if (ours.length > 0) return `the age key for ${ours.map((a) => a.recipient).join(', ')} could not open this file's data key: the sops: block is damaged`;
  return `this file is encrypted for the age recipient(s) ${fileRecipients}, but the age key given is for ${ids.recipients.join(', ')}: `
    + 'give gitfed the key of one of the file\'s recipients, or re-encrypt the file for this key (sops updatekeys, or sops --encrypt --age <recipient>)';
}

interface Plain { text: string; value: unknown; comment?: true }

/** One ENC[...] value -> its plaintext and typed value (aes/cipher.go Decrypt). */
function openValue(enc: string, key: Uint8Array, aad: string): Plain | 'format' | 'auth' | 'type' {
  const m = ENC.exec(enc);
  if (!m) return 'format';
  let text: string;
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2]!, 'base64'));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(m[3]!, 'base64'));
    text = Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString('utf8');
  } catch {
    return 'auth';
  }
  switch (m[4]) {
    case 'str': case 'bytes': case 'time': return { text, value: text };
    case 'comment': return { text, value: text, comment: true };
    case 'int': return /^[+-]?\d+$/.test(text) ? { text: BigInt(text).toString(), value: Number(text) } : 'type';
    case 'float': { const n = Number(text); return text.trim() !== '' && !Number.isNaN(n) ? { text: goFloat(n), value: n } : 'type'; }
    case 'bool': {
      const b = /^(1|t|T|TRUE|true|True)$/.test(text) ? true : /^(0|f|F|FALSE|false|False)$/.test(text) ? false : undefined;
      return b === undefined ? 'type' : { text: b ? 'True' : 'False', value: b };
    }
    default: return 'type';
  }
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits, never an exponent. */
export function goFloat(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) return m[1] + (digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : digits.padEnd(exp + 1, '0'));
  return `${m[1]}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** The bytes sops hashes for a value it left in the clear (sops.go ToBytes). */
function clearText(v: unknown, source: string | undefined): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) && source && /^[+-]?\d+$/.test(source) ? BigInt(source).toString() : goFloat(v);
  return String(v);
}

class Walk {
  constructor(readonly doc: ParsedDoc, readonly meta: SopsMeta, readonly key: Uint8Array, readonly hash: Hash) {}
  problem?: SopsProblem;

  fail(at: FieldPath, message: string): void {
    this.problem ??= { code: 'SopsIntegrity', message, place: locateIn(this.doc, at) };
  }

  /** `box[slot]` is the JS value of `node`; `path` is sops's (keys only), `at` ours (with list indexes). */
  node(node: unknown, box: Record<string | number, unknown>, slot: string | number, path: string[], at: FieldPath): void {
    if (this.problem || node === null || node === undefined) return;
    if (isMap(node)) {
      const obj = box[slot] as Record<string, unknown>;
      for (const pair of node.items) {
        if (!isScalar(pair.key)) { this.fail(at, 'a SOPS file may only have plain keys'); return; }
        const k = String(pair.key.value);
        if (path.length === 0 && k === 'sops') continue;
        this.node(pair.value, obj, k, [...path, k], [...at, k]);
      }
    } else if (isSeq(node)) {
      const arr = box[slot] as unknown[];
      node.items.forEach((item, i) => this.node(item, arr as unknown as Record<number, unknown>, i, path, [...at, i]));
      // sops writes an encrypted comment inside a list as a list item: it is no data, and not in the
      // MAC (checked against the real sops CLI, test/integration/sops.test.ts).
      for (let i = arr.length - 1; i >= 0; i--) if (arr[i] === COMMENT) arr.splice(i, 1);
    } else if (isAlias(node)) {
      this.fail(at, 'YAML aliases are not supported in SOPS-encrypted files: write the value out');
    } else if (isScalar(node)) {
      this.leaf(node.value, node.source, box, slot, path, at);
    }
  }

  leaf(v: unknown, source: string | undefined, box: Record<string | number, unknown>, slot: string | number, path: string[], at: FieldPath): void {
    if (v === null || v === undefined) return;
    const encrypted = shouldBeEncrypted(this.meta.rule, path);
    let text = '';
    if (!encrypted) text = clearText(v, source);
    else if (v !== '') {
      const where = path.join('.') || '(top level)';
      if (typeof v !== 'string') { this.fail(at, `the value at ${where} should be encrypted by this file's rules but is not (edit the file with sops, not by hand)`); return; }
      const opened = openValue(v, this.key, `${path.join(':')}:`);
      if (opened === 'format') { this.fail(at, `the value at ${where} should be encrypted by this file's rules but is not an ENC[AES256_GCM,...] value (edit the file with sops, not by hand)`); return; }
      if (opened === 'auth') { this.fail(at, `the encrypted value at ${where} fails its integrity check: it was changed or moved after sops encrypted it`); return; }
      if (opened === 'type') { this.fail(at, `the encrypted value at ${where} has a type sops does not write`); return; }
      if (opened.comment) { box[slot] = COMMENT; return; }
      text = opened.text;
      box[slot] = opened.value;
    }
    if (!this.meta.macOnlyEncrypted || encrypted) this.hash.update(text, 'utf8');
  }
}

/**
 * Decrypts the documents of one file in place (their values; positions stay
 * those of the encrypted file) and removes `sops:`. A problem (a damaged or
 * tampered value, a MAC mismatch) leaves nothing usable: the caller drops the
 * whole file.
 */
export function decryptSopsDocs(docs: ParsedDoc[], meta: SopsMeta, key: Uint8Array): SopsProblem | undefined {
  const hash = createHash('sha512');
  if (meta.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  for (const doc of docs) {
    const walk = new Walk(doc, meta, key, hash);
    const box = { v: doc.value };
    walk.node(doc.node, box, 'v', [], []);
    if (walk.problem) return walk.problem;
  }
  const mac = openValue(meta.mac, key, rfc3339(meta.lastModified));
  if (typeof mac === 'string') return { code: 'SopsMacMismatch', message: `the sops: block's mac cannot be opened with the file's data key (${mac === 'auth' ? 'mac or lastmodified was changed' : 'it is malformed'}): the file was tampered with or damaged`, place: meta.macPlace };
  if (mac.text !== hash.digest('hex').toUpperCase()) {
    return { code: 'SopsMacMismatch', message: 'MAC mismatch: the file\'s values do not match the MAC sops wrote (a value was changed, added or removed without sops): the file is not used; re-create it with sops', place: meta.macPlace };
  }
  for (const doc of docs) delete (doc.value as Record<string, unknown>).sops;
  return undefined;
}
