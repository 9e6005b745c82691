// Bytes -> YAML documents with positions. Refuses non-UTF-8 (naming the line
// and column of the first bad byte), duplicate keys, alias bombs (alias
// expansion is capped), aliases inside their own anchor, and values JSON
// cannot hold. JSON files go through the same parser: JSON is YAML 1.2, and
// that gives their errors positions too.
import { isMap, isScalar, LineCounter, parseAllDocuments, type Node, type ParsedNode } from 'yaml';
import type { Finding, SourcePos } from '../core/model.js';
import { findProblem, plainTree, type Spot } from './plain-tree.js';

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

/**
 * Two keys that become one property once loaded (8080 and "8080", true and
 * "true", ~ and ""): yaml's own check compares typed values, which would let
 * the second silently replace the first. The key text mirrors yaml's toJS.
 * `retyped` collects where such a pair was told apart only by its type, so
 * the finding can say why the two are one key.
 */
function sameKey(retyped: Map<number, [ParsedNode, ParsedNode]>) {
  const text = (v: unknown) => (v === null ? '' : String(v));
  return (a: ParsedNode, b: ParsedNode): boolean => {
    if (a === b || !isScalar(a) || !isScalar(b)) return a === b;
    if (a.value === b.value) return true;
    if (text(a.value) !== text(b.value)) return false;
    retyped.set(b.range[0], [a, b]);
    return true;
  };
}

/** How many values aliases may add to a file, beyond what its text spells out. */
const ALIAS_VALUES = 1_000_000;

/** A file the parser itself fails on is one finding, never an exception out of the loader. */
export function parseYamlFile(file: string, text: string, limits: ParseLimits): { docs: ParsedDoc[]; findings: Finding[] } {
  try {
    return parseDocs(file, text, limits);
  } catch (e) {
    // yaml's lexer and composer recurse once per nesting level: 20 KB of
    // "- - - -" overflow the stack. Nothing of the file is used.
    const deep = e instanceof RangeError && /call stack/i.test(e.message);
    const message = deep
      ? `${file} is nested too deeply for the YAML parser (${e.message}); no Kubernetes object needs that depth: flatten it`
      : `${file} could not be parsed as YAML (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`;
    return { docs: [], findings: [error(file, 1, 1, deep ? 'YamlTooDeep' : 'YamlUnreadable', message)] };
  }
}

function parseDocs(file: string, text: string, limits: ParseLimits): { docs: ParsedDoc[]; findings: Finding[] } {
  const lines = new LineCounter();
  const findings: Finding[] = [];
  const docs: ParsedDoc[] = [];
  // Values the file's documents may hold once aliases are copied out: what
  // the text can spell without aliases, plus a margin no real fleet file needs.
  const budget = { left: text.length + ALIAS_VALUES };
  const retyped = new Map<number, [ParsedNode, ParsedNode]>();
  const written = (n: ParsedNode) => text.slice(n.range[0], n.range[1]).trim();
  const parsed = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: sameKey(retyped), prettyErrors: false, strict: true, version: '1.2' });
  const all = Array.isArray(parsed) ? parsed : [parsed];
  for (const doc of all) {
    const errs = doc.errors;
    if (errs.length > 0) {
      for (const e of errs) {
        const { line, col } = lines.linePos(e.pos[0]);
        const pair = e.code === 'DUPLICATE_KEY' ? retyped.get(e.pos[0]) : undefined;
        const msg = pair
          ? `duplicate key: ${written(pair[1])} and ${written(pair[0])} (line ${lines.linePos(pair[0].range[0]).line}) are the same key once loaded (keys are text); keep one`
          : e.code === 'DUPLICATE_KEY'
            ? `duplicate key: ${e.message.split('\n')[0]!.replace(/^Map keys must be unique.*$/, 'the same key appears twice in one mapping')}; keep one`
            : `YAML syntax error: ${e.message.split('\n')[0]}`;
        findings.push(error(file, line, col, e.code === 'DUPLICATE_KEY' ? 'DuplicateKey' : 'YamlSyntax', msg));
      }
      continue;
    }
    // An empty document (a file of comments, a `---` with nothing after it:
    // Helm output is full of them) is skipped, as kubectl does.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    const start = doc.contents.range?.[0] ?? 0;
    // Each problem found in the source, at its line; at the document if none is.
    const report = (code: string, spots: Spot[], otherwise: string) => {
      for (const s of spots.length > 0 ? spots : [{ offset: start, message: otherwise }]) {
        const { line, col } = lines.linePos(s.offset);
        findings.push(error(file, line, col, code, s.message));
      }
    };
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (e) {
      const m = (e as Error).message;
      if (/unresolved alias/i.test(m)) report('UnknownAlias', findProblem(doc, 'unresolved'), `YAML error: ${m}`);
      else if (/alias/i.test(m)) report('AliasLimit', [], `too many alias expansions (more than ${limits.maxAliasCount}): this looks like an alias bomb; write the values out`);
      else report('YamlSyntax', [], `YAML error: ${m}`);
      continue;
    }
    const plain = plainTree(value, budget);
    if ('problem' in plain) {
      if (plain.problem === 'cycle') report('AliasCycle', findProblem(doc, 'cycle'), 'an alias makes this document contain itself; write the values out');
      else if (plain.problem === 'notJson') report('NotJsonValue', findProblem(doc, 'notJson'), 'this document holds a value JSON (what gitfed applies) cannot hold');
      else report('AliasLimit', [], `aliases expand this file to more than ${text.length + ALIAS_VALUES} values: this looks like an alias bomb; write the values out`);
      continue;
    }
    docs.push({ value: plain.value, node: doc.contents as Node, lines, file, place: posAt(lines, file, isMap(doc.contents) && doc.contents.items[0]?.key ? ((doc.contents.items[0].key as Node).range?.[0] ?? start) : start) });
  }
  return { docs, findings };
}
