// The `sops:` block of a SOPS-encrypted file, read the way sops reads it
// (stores/stores.go ToInternal): from the file's first document, with at
// most one of the rules that choose which values are encrypted, and the
// sops default (`unencrypted_suffix: _unencrypted`) when none is set.
import type { SourcePos } from '../core/model.js';
import { isObj } from './field-reader.js';
import type { ParsedDoc } from './parse-yaml.js';
import { locateIn } from './positions.js';

export type CryptRule =
  | { kind: 'unencrypted_suffix' | 'encrypted_suffix'; suffix: string }
  | { kind: 'unencrypted_regex' | 'encrypted_regex'; regex: RegExp };

export interface SopsMeta {
  age: Array<{ recipient: string; enc: string }>;
  lastModified: string;
  mac: string;
  rule: CryptRule;
  macOnlyEncrypted: boolean;
  /** The `sops:` key, and its `mac:` (where a MAC mismatch is reported). */
  place: SourcePos;
  macPlace: SourcePos;
}

const RULES = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'] as const;

/** True when the first document has a top-level `sops:` mapping (no Kubernetes object has one). */
export function isSopsFile(docs: readonly ParsedDoc[]): boolean {
  const first = docs[0]?.value;
  return isObj(first) && isObj(first.sops);
}

/**
 * Go's regexp syntax is close to JavaScript's for the patterns people use in
 * .sops.yaml; the one common difference, a leading (?i), becomes the i flag.
 */
function goRegex(src: string): RegExp | undefined {
  const m = /^\(\?([ims]+)\)/.exec(src);
  try {
    return m ? new RegExp(src.slice(m[0].length), m[1]) : new RegExp(src);
  } catch {
    return undefined;
  }
}

/** Go's time.RFC3339 output for a stored lastmodified (the MAC's additional data). */
export function rfc3339(stored: string): string {
  return stored.replace(/\.\d+(?=(Z|[+-]\d\d:\d\d)$)/, '').replace(/[+-]00:00$/, 'Z');
}

/** The metadata, or a message saying why the block cannot be used (at `place`). */
export function readSopsMeta(doc: ParsedDoc): SopsMeta | { message: string; place: SourcePos } {
  const place = locateIn(doc, ['sops']);
  const s = (doc.value as Record<string, Record<string, unknown>>).sops!;
  const fail = (message: string, at: string[] = []) => ({ message, place: at.length ? locateIn(doc, ['sops', ...at]) : place });
  if (typeof s.mac !== 'string' || !s.mac.startsWith('ENC[')) return fail('the sops: block has no mac (the file is damaged, or was not written by sops)');
  if (typeof s.lastmodified !== 'string') return fail('the sops: block has no lastmodified (the file is damaged, or was not written by sops)');
  if (s.key_groups !== undefined || s.shamir_threshold !== undefined) {
    return fail('this file uses SOPS key groups (Shamir secret sharing), which gitfed does not open: encrypt it to age recipients without key groups', [s.key_groups !== undefined ? 'key_groups' : 'shamir_threshold']);
  }
  const age: SopsMeta['age'] = [];
  for (const a of Array.isArray(s.age) ? s.age : []) {
    if (isObj(a) && typeof a.recipient === 'string' && typeof a.enc === 'string') age.push({ recipient: a.recipient, enc: a.enc });
  }
  if (age.length === 0) {
    const others = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'].filter((k) => Array.isArray(s[k]) && (s[k] as unknown[]).length > 0);
    return fail(`this file has no age recipient${others.length ? ` (it is encrypted with ${others.join(', ')})` : ''}; gitfed opens SOPS files encrypted with age: re-encrypt it with sops --age age1...`);
  }
  const set = RULES.filter((r) => typeof s[r] === 'string' && s[r] !== '');
  if (set.length > 1) return fail(`the sops: block sets ${set.join(' and ')}; sops allows only one of them`, [set[1]!]);
  let rule: CryptRule = { kind: 'unencrypted_suffix', suffix: '_unencrypted' };
  const only = set[0];
  if (only === 'unencrypted_comment_regex' || only === 'encrypted_comment_regex') {
    return fail(`gitfed does not open files encrypted with ${only}; use encrypted_regex (e.g. '^(data|stringData)$') instead`, [only]);
  }
  if (only === 'unencrypted_suffix' || only === 'encrypted_suffix') rule = { kind: only, suffix: s[only] as string };
  if (only === 'unencrypted_regex' || only === 'encrypted_regex') {
    const regex = goRegex(s[only] as string);
    if (!regex) return fail(`${only} is not a regular expression gitfed can read`, [only]);
    rule = { kind: only, regex };
  }
  const macOnly = s.mac_only_encrypted === true || s.mac_only_encrypted === 'true';
  return { age, lastModified: s.lastmodified, mac: s.mac, rule, macOnlyEncrypted: macOnly, place, macPlace: locateIn(doc, ['sops', 'mac']) };
}

/** sops's shouldBeEncrypted (sops.go) for the keys on a value's path. */
export function shouldBeEncrypted(rule: CryptRule, path: readonly string[]): boolean {
  switch (rule.kind) {
    case 'unencrypted_suffix': return !path.some((k) => k.endsWith(rule.suffix));
    case 'encrypted_suffix': return path.some((k) => k.endsWith(rule.suffix));
    case 'unencrypted_regex': return !path.some((k) => rule.regex.test(k));
    case 'encrypted_regex': return path.some((k) => rule.regex.test(k));
  }
}
