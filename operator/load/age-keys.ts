// The age identities that open SOPS-encrypted fleet files, from the three
// places sops itself reads them: --age-key-file, SOPS_AGE_KEY_FILE and
// SOPS_AGE_KEY. They are read only when the fleet has an encrypted file, and
// again on every load, so a rotated key (a remounted Secret) is picked up
// without a restart. No message here ever quotes a line of a key file: a
// malformed line could be a secret key with a typo.
import { readFile } from 'node:fs/promises';

export interface AgeKeySource {
  /** --age-key-file */
  keyFile?: string;
  /** The environment to read SOPS_AGE_KEY_FILE and SOPS_AGE_KEY from. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface AgeIdentities {
  identities: string[];
  /** The public recipient (age1...) of each identity, for error messages. */
  recipients: string[];
}

export const NO_KEY_HELP = 'give gitfed the age key with --age-key-file FILE, or the environment variable SOPS_AGE_KEY_FILE=FILE, or SOPS_AGE_KEY=AGE-SECRET-KEY-1...';

/** Identity lines of one source; comments and blank lines are skipped as age-keygen writes them. */
function identitiesIn(text: string, source: string): string[] | string {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(line)) return `line ${i + 1} of ${source} is not an age identity (expected AGE-SECRET-KEY-1...)`;
    out.push(line);
  }
  return out;
}

/**
 * All identities from all sources (as sops does: any of them may open a
 * file). An error is a message safe to show; no key at all is an error that
 * names the three ways to give one.
 */
export async function readAgeIdentities(src: AgeKeySource): Promise<AgeIdentities | { error: string }> {
  const env = src.env ?? {};
  const texts: Array<{ text: string; source: string }> = [];
  for (const [file, source] of [[src.keyFile, '--age-key-file'], [env.SOPS_AGE_KEY_FILE, 'SOPS_AGE_KEY_FILE']] as const) {
    if (!file) continue;
    try {
      texts.push({ text: await readFile(file, 'utf8'), source: `the age key file ${file} (${source})` });
    } catch (e) {
      return { error: `cannot read the age key file ${file} (${source}): ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}` };
    }
  }
  if (env.SOPS_AGE_KEY) texts.push({ text: env.SOPS_AGE_KEY, source: 'SOPS_AGE_KEY' });
  const identities: string[] = [];
  for (const t of texts) {
    const found = identitiesIn(t.text, t.source);
    if (typeof found === 'string') return { error: found };
    if (found.length === 0) return { error: `${t.source} holds no age identity (a line AGE-SECRET-KEY-1...)` };
    identities.push(...found);
  }
  if (identities.length === 0) return { error: `no age key was given: ${NO_KEY_HELP}` };
  const recipients: string[] = [];
  const { identityToRecipient } = await import('age-encryption');
  for (const id of identities) {
    try {
      recipients.push(await identityToRecipient(id));
    } catch {
      return { error: 'an age identity that was given is malformed (its checksum or length is wrong); check the key file' };
    }
  }
  return { identities, recipients };
}
