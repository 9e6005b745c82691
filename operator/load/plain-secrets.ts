// `gitfed validate` warns on a Secret kept in plain text in the fleet repo:
// anyone who can read the repo (and its history) can read the value. The
// warning carries the sops command that encrypts the file in place so that
// gitfed opens it in memory (only data and stringData are encrypted, so
// the rest of the object stays readable in review).
import type { Finding, Fleet } from '../core/model.js';

/** The fix, for one file; `recipient` is the age public key (age1...) to encrypt to. */
export function sopsEncryptCommand(file: string, recipient: string): string {
  const quoted = /^[\w./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
  return `sops --encrypt --age ${recipient} --encrypted-regex '^(data|stringData)$' --in-place ${quoted}`;
}

const nonEmpty = (v: unknown) => !!v && typeof v === 'object' && Object.keys(v).length > 0;

/**
 * A warning at file:line for each Secret with data or stringData that was
 * not loaded from a SOPS-encrypted file. `recipient`: the age recipient of
 * the key gitfed was given, else a placeholder the message explains.
 */
export function plainSecretWarnings(fleet: Fleet, recipient?: string): Finding[] {
  const out: Finding[] = [];
  for (const m of fleet.manifests) {
    const o = m.object as { kind: string; metadata: { name: string; namespace?: string }; data?: unknown; stringData?: unknown };
    if (o.kind !== 'Secret' || m.encrypted || !(nonEmpty(o.data) || nonEmpty(o.stringData))) continue;
    const field = nonEmpty(o.data) ? 'data' : 'stringData';
    const place = m.locate?.([field]) ?? m.place;
    const to = recipient ?? 'age1...';
    out.push({
      severity: 'warning', code: 'PlainTextSecret', place,
      message: `Secret ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} is in plain text in Git: anyone who can read the repo can read it. `
        + `Encrypt it (gitfed decrypts it in memory with its age key): ${sopsEncryptCommand(place.file, to)}`
        + (recipient ? '' : ' (age1... is the public key of the age key gitfed is given: age-keygen -y KEYFILE)'),
    });
  }
  return out;
}
