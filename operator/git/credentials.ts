// Git credentials from the environment or a mounted file, for isomorphic-git's
// onAuth callback. Never logged: errors pass through `redact` first.
import { readFileSync } from 'node:fs';

export interface GitAuth {
  username: string;
  password: string;
}

/**
 * GITFED_GIT_TOKEN (used as the password with username "git", or
 * GITFED_GIT_USERNAME), or GITFED_GIT_USERNAME + GITFED_GIT_PASSWORD, or a file
 * with `username:password` or just a token on its first line.
 */
export function loadGitAuth(env: NodeJS.ProcessEnv, file?: string): GitAuth | undefined {
  if (file) {
    const line = readFileSync(file, 'utf8').split('\n')[0]!.trim();
    const i = line.indexOf(':');
    return i > 0 ? { username: line.slice(0, i), password: line.slice(i + 1) } : { username: env.GITFED_GIT_USERNAME ?? 'git', password: line };
  }
  if (env.GITFED_GIT_TOKEN) return { username: env.GITFED_GIT_USERNAME ?? 'git', password: env.GITFED_GIT_TOKEN };
  if (env.GITFED_GIT_USERNAME && env.GITFED_GIT_PASSWORD) return { username: env.GITFED_GIT_USERNAME, password: env.GITFED_GIT_PASSWORD };
  return undefined;
}

/** Remove secrets (and credentials embedded in URLs) from text that may be logged or committed. */
export function redact(text: string, auth?: GitAuth): string {
  let out = text.replace(/(https?:\/\/)[^/@\s]+@/g, '$1***@');
  if (auth?.password) out = out.split(auth.password).join('***');
  return out;
}

/** isomorphic-git's auth callbacks for a credential (none without one); a refused login is not retried. */
export function authCallbacks(auth?: GitAuth): { onAuth?: () => GitAuth; onAuthFailure?: () => { cancel: true } } {
  return auth ? { onAuth: () => ({ username: auth.username, password: auth.password }), onAuthFailure: () => ({ cancel: true as const }) } : {};
}
