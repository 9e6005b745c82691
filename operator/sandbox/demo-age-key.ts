// The sample fleet's demo age key. manifests/tls-secret.yaml (the seed's
// tls-secret, a self-signed certificate for gitfed-demo.example) is
// encrypted with sops to this key's recipient, and the sandbox writes the
// identity to <sandbox dir>/age.key so the demo and a user trying the sample
// fleet can open it. It is public on purpose and protects nothing: never
// encrypt a real Secret to it; make your own key (age-keygen) instead.
export const DEMO_AGE_RECIPIENT = 'age1fddvh5mhj9932ucjd5c6r6tsh9w5t38t77clp5lgqp6mh5axhceqexhpx5';
export const DEMO_AGE_IDENTITY = 'AGE-SECRET-KEY-1DEH2YDS9Y95HZVH6KCEF9E72GD85TQ9LD5VG8LZKH48276EW4J2SFJK3K0';

/** The key file's content, as age-keygen writes one. */
export function demoAgeKeyFile(): string {
  return `# gitfed sandbox: the PUBLIC demo key of the sample fleet (never use it for real Secrets)\n# public key: ${DEMO_AGE_RECIPIENT}\n${DEMO_AGE_IDENTITY}\n`;
}
