// The revision of a fleet that is not a Git commit (a plain directory): a
// hash of its files' paths and contents, so equal content is equal revision.
import { createHash } from 'node:crypto';
import type { FleetFile } from './load-files.js';

export function filesRevision(files: readonly FleetFile[], problems: readonly string[] = []): string {
  const h = createHash('sha1');
  for (const f of files) h.update(f.path).update('\0').update(f.content).update('\0');
  // Reading problems (too many files, a symlink out of the root) are part of what a revision is.
  for (const p of problems) h.update(p).update('\0');
  return h.digest('hex');
}
