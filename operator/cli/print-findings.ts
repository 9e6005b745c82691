// How findings look on a terminal: one line each, compiler style.
import { formatFinding } from '../load/format-finding.js';
import type { Finding } from '../core/model.js';
import type { CliIO } from './main.js';

export function printFindings(io: CliIO, findings: readonly Finding[]): void {
  for (const f of findings) (f.severity === 'error' ? io.err : io.out)(formatFinding(f));
}

export function summarize(findings: readonly Finding[], head: string): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  return `${head} (${errors} error(s), ${warnings} warning(s))`;
}
