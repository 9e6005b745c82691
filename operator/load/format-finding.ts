// One line per finding, compiler style: `path:LINE:COL: error: message`.
import type { Finding } from '../core/model.js';

export function formatFinding(f: Finding): string {
  if (f.place) return `${f.place.file}:${f.place.line}:${f.place.col}: ${f.severity}: ${f.message}`;
  const obj = f.object ? ` ${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}` : '';
  if (f.cluster) return `cluster/${f.cluster}${obj}: ${f.severity}: ${f.message}`;
  return `${obj ? `${obj.trim()}: ` : ''}${f.severity}: ${f.message}`;
}

/** Stable order for output: by file, line, column, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  const fa = a.place?.file ?? '\uffff';
  const fb = b.place?.file ?? '\uffff';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.place?.line ?? 0) - (b.place?.line ?? 0) || (a.place?.col ?? 0) - (b.place?.col ?? 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}
