// Flags every command that talks to the fleet's Git remote shares: where the
// local clone lives, the commit author, and the credentials.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadGitAuth, type GitAuth } from '../git/credentials.js';
import type { CliIO } from './main.js';

export { GIT_FLAGS } from './command-table.js';

/** --work-dir, else a clone per remote URL in the user's cache directory (outside any checkout). */
export function cloneDir(io: CliIO, url: string, workDir?: string): string {
  return resolve(io.cwd, workDir ?? join(io.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gitfed', 'repos', createHash('sha256').update(url).digest('hex').slice(0, 16)));
}

export function gitAuthor(values: Record<string, unknown>): { name: string; email: string } {
  return { name: (values['author-name'] as string) ?? 'gitfed', email: (values['author-email'] as string) ?? 'gitfed@localhost' };
}

export function gitAuth(io: CliIO, values: Record<string, unknown>): GitAuth | undefined {
  return loadGitAuth(io.env, values['git-credentials-file'] ? resolve(io.cwd, values['git-credentials-file'] as string) : undefined);
}
