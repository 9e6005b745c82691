// Loading a fleet repo: from files in memory (a Git tree) or from a directory.
import type { LoadResult } from '../core/model.js';
import { compareFindings } from './format-finding.js';
import { DEFAULT_LIMITS, loadFleetFiles, type LoadLimits } from './load-files.js';
import { readFleetDir } from './read-dir.js';

export { loadFleetFiles, isFleetFile, emptyFleet, DEFAULT_LIMITS, type FleetFile, type LoadLimits } from './load-files.js';
export { formatFinding } from './format-finding.js';

export async function loadFleetDir(root: string, opts: { limits?: Partial<LoadLimits>; ignore?: string[] } = {}): Promise<LoadResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  let read;
  try {
    read = await readFleetDir(root, limits, opts.ignore);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const result = loadFleetFiles([]);
    result.findings.push({ severity: 'error', code: 'FleetUnreadable', message: `cannot read fleet directory ${root}: ${err.code ?? err.message}` });
    return result;
  }
  const result = loadFleetFiles(read.files, limits);
  result.findings.push(...read.findings);
  result.findings.sort(compareFindings);
  return result;
}
