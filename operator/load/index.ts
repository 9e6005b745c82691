// Loading a fleet repo: from files in memory (a Git tree) or from a directory.
// SOPS-encrypted files are opened in memory with the age keys of `age`.
import type { LoadResult } from '../core/model.js';
import type { AgeKeySource } from './age-keys.js';
import { compareFindings } from './format-finding.js';
import { buildFleet, DEFAULT_LIMITS, parseFleetFiles, type FleetFile, type LoadLimits } from './load-files.js';
import { readFleetDir } from './read-dir.js';
import { openSopsFiles } from './sops-files.js';

export { loadFleetFiles, isFleetFile, emptyFleet, DEFAULT_LIMITS, type FleetFile, type LoadLimits } from './load-files.js';
export { formatFinding } from './format-finding.js';
export type { AgeKeySource } from './age-keys.js';

export interface LoadOptions {
  limits?: Partial<LoadLimits>;
  /** Where the age keys come from (--age-key-file, the environment). */
  age?: AgeKeySource;
}

/** Files -> Fleet, opening SOPS-encrypted files with the age keys of `opts.age`. */
export async function loadFleet(files: readonly FleetFile[], opts: LoadOptions = {}): Promise<LoadResult> {
  const { parsed, findings } = parseFleetFiles(files, opts.limits);
  findings.push(...await openSopsFiles(parsed, opts.age ?? {}));
  return buildFleet(parsed, findings);
}

export async function loadFleetDir(root: string, opts: LoadOptions & { ignore?: string[] } = {}): Promise<LoadResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  let read;
  try {
    read = await readFleetDir(root, limits, opts.ignore);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const result = buildFleet([], []);
    result.findings.push({ severity: 'error', code: 'FleetUnreadable', message: `cannot read fleet directory ${root}: ${err.code ?? err.message}` });
    return result;
  }
  const result = await loadFleet(read.files, { limits, ...(opts.age ? { age: opts.age } : {}) });
  result.findings.push(...read.findings);
  result.findings.sort(compareFindings);
  return result;
}
