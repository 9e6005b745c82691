// Typed access to one YAML document's fields that records, for every wrong
// type, a finding at the line of that field. Keeps the per-kind parsers short.
import type { FieldPath, Finding, SourcePos } from '../core/model.js';
import type { ParsedDoc } from './parse-yaml.js';
import { locateIn } from './positions.js';

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FieldReader {
  constructor(readonly doc: ParsedDoc, readonly findings: Finding[], readonly what: string) {}

  at(path: FieldPath): SourcePos {
    return locateIn(this.doc, path);
  }

  error(path: FieldPath, code: string, message: string): void {
    this.findings.push({ severity: 'error', code, place: this.at(path), message: `${this.what}: ${message}` });
  }

  get(path: FieldPath): unknown {
    let v: unknown = this.doc.value;
    for (const step of path) {
      if (Array.isArray(v) && typeof step === 'number') v = v[step];
      else if (isObj(v)) v = v[String(step)];
      else return undefined;
    }
    return v;
  }

  private typed<T>(path: FieldPath, check: (v: unknown) => v is T, expected: string): T | undefined {
    const v = this.get(path);
    if (v === undefined || v === null) return undefined;
    if (!check(v)) {
      this.error(path, 'WrongType', `${path.join('.')} must be ${expected}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  str(path: FieldPath): string | undefined {
    return this.typed(path, (v): v is string => typeof v === 'string', 'a string');
  }

  bool(path: FieldPath): boolean | undefined {
    return this.typed(path, (v): v is boolean => typeof v === 'boolean', 'true or false');
  }

  obj(path: FieldPath): Obj | undefined {
    return this.typed(path, isObj, 'a mapping');
  }

  list(path: FieldPath): unknown[] | undefined {
    return this.typed(path, (v): v is unknown[] => Array.isArray(v), 'a list');
  }

  /** A map of string to string, such as labels. */
  stringMap(path: FieldPath): Record<string, string> | undefined {
    const o = this.obj(path);
    if (!o) return undefined;
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'string') {
        this.error([...path, k], 'WrongType', `${[...path, k].join('.')} must be a string (quote numbers and booleans), got ${JSON.stringify(v)}`);
        return undefined;
      }
    }
    return o as Record<string, string>;
  }
}
