// A minimal SOPS writer for unit tests that must not need the sops CLI (the
// real CLI's files are tested in test/integration/sops.test.ts): every
// string value of a flat-or-nested mapping of strings encrypted to one age
// recipient, as sops's default rules would (no _unencrypted keys here).
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { armor, Encrypter } from 'age-encryption';
import { stringify } from 'yaml';

type Tree = { [k: string]: string | Tree };

function encValue(plain: string, key: Buffer, aad: string): string {
  const iv = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:str]`;
}

/** YAML text of `doc` encrypted for `recipient` (age1...). */
export async function sopsEncryptYaml(doc: Tree, recipient: string): Promise<string> {
  const key = randomBytes(32);
  const mac = createHash('sha512');
  const walk = (t: Tree, path: string[]): Tree => Object.fromEntries(Object.entries(t).map(([k, v]) => {
    if (typeof v !== 'string') return [k, walk(v, [...path, k])];
    mac.update(v);
    return [k, v === '' ? '' : encValue(v, key, `${[...path, k].join(':')}:`)];
  }));
  const out = walk(doc, []);
  const e = new Encrypter();
  e.addRecipient(recipient);
  const lastmodified = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return stringify({
    ...out,
    sops: {
      age: [{ recipient, enc: armor.encode(await e.encrypt(key)) }],
      lastmodified, mac: encValue(mac.digest('hex').toUpperCase(), key, lastmodified), unencrypted_suffix: '_unencrypted', version: '3.13.3',
    },
  });
}
