// Bytes -> YAML documents with positions. Refuses non-UTF-8 (naming the line
// and column of the first bad byte), duplicate keys, and alias bombs (alias
// expansion is capped). JSON files go through the same parser: JSON is YAML
// 1.2, and that gives their errors positions too.
import { isMap, isScalar, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { Finding, SourcePos } from '../core/model.js';

export interface ParsedDoc {
  value: unknown;
  node: Node | null;
  lines: LineCounter;
  file: string;
  /** Position of the document's first node. */
  place: SourcePos;
}

export interface ParseLimits {
  maxAliasCount: number;
}

export function posAt(lines: LineCounter, file: string, offset: number): SourcePos {
  const { line, col } = lines.linePos(offset);
  return { file, line, col };
}

function error(file: string, line: number, col: number, code: string, message: string): Finding {
  return { severity: 'error', code, place: { file, line, col }, message };
}

/** Decode strictly; on a bad byte say where it is. */
export function decodeUtf8(file: string, bytes: Uint8Array): { text: string } | { finding: Finding } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    // Find the first offset where the prefix stops being valid UTF-8.
    let lo = 0;
    let hi = bytes.length;
    const ok = (n: number) => { try { new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n)); return true; } catch { return false; } };
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ok(mid)) lo = mid; else hi = mid - 1;
    }
    // lo bytes decode; the bad sequence starts at or just after a char boundary near lo.
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, lo));
    const lines = prefix.split('\n');
    const line = lines.length;
    const col = lines[lines.length - 1]!.length + 1;
    const byte = bytes[lo] ?? bytes[lo - 1] ?? 0;
    return { finding: error(file, line, col, 'NotUtf8', `file is not valid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')} at line ${line}, column ${col}); save it as UTF-8`) };
  }
}

export function parseYamlFile(file: string, text: string, limits: ParseLimits): { docs: ParsedDoc[]; findings: Finding[] } {
  const lines = new LineCounter();
  const findings: Finding[] = [];
  const docs: ParsedDoc[] = [];
  const parsed = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  const all = Array.isArray(parsed) ? parsed : [parsed];
  for (const doc of all) {
    const errs = doc.errors;
    if (errs.length > 0) {
      for (const e of errs) {
        const { line, col } = lines.linePos(e.pos[0]);
        const msg = e.code === 'DUPLICATE_KEY'
          ? `duplicate key: ${e.message.split('\n')[0]!.replace(/^Map keys must be unique.*$/, 'the same key appears twice in one mapping')}; keep one`
          : `YAML syntax error: ${e.message.split('\n')[0]}`;
        findings.push(error(file, line, col, e.code === 'DUPLICATE_KEY' ? 'DuplicateKey' : 'YamlSyntax', msg));
      }
      continue;
    }
    // An empty document (a file of comments, a `---` with nothing after it:
    // Helm output is full of them) is skipped, as kubectl does.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (e) {
      const { line, col } = lines.linePos(doc.contents.range?.[0] ?? 0);
      const m = (e as Error).message;
      findings.push(error(file, line, col, /alias/i.test(m) ? 'AliasLimit' : 'YamlSyntax',
        /alias/i.test(m) ? `too many alias expansions (more than ${limits.maxAliasCount}): this looks like an alias bomb; write the values out` : `YAML error: ${m}`));
      continue;
    }
    const start = doc.contents.range?.[0] ?? 0;
    docs.push({ value, node: doc.contents as Node, lines, file, place: posAt(lines, file, isMap(doc.contents) && doc.contents.items[0]?.key ? ((doc.contents.items[0].key as Node).range?.[0] ?? start) : start) });
  }
  return { docs, findings };
}
