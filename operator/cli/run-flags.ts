// `gitfed run` flags that name a file or an address, checked before anything
// starts: a missing file, an empty secret or a bad address is a usage error
// (exit 2) that names the flag, never a stack trace from deep inside.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';

/**
 * The webhook secret in `path`. An empty file (a Secret mounted before it
 * was filled in) is refused: without a secret, /webhook would take unsigned
 * requests, which is exactly what giving the flag asked not to do.
 */
export function webhookSecretFrom(path: string, given: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`gitfed run: --webhook-secret-file ${given}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const secret = text.trim();
  if (!secret) throw new UsageError(`gitfed run: --webhook-secret-file ${given} is empty; /webhook would accept unsigned requests`);
  return secret;
}

/** --listen HOST:PORT (HOST may be empty or [v6]; PORT 0..65535, 0 for any free port). */
export function listenAddress(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`gitfed run: --listen expects HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:8080 or :8080), got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port };
}
