// Checks one gitfed.io/v1alpha1 document against its kind's field table
// (kind-fields.ts): wrong types, values outside an enum or pattern, missing
// required fields are errors; unknown fields are warnings (they are ignored,
// and usually a typo). The same table generates the JSON Schemas, so what an
// editor flags and what `gitfed validate` reports agree.
import type { FieldPath } from '../core/model.js';
import type { FieldReader } from './field-reader.js';
import { isObj } from './field-reader.js';
import { documentFields, type Field } from './kind-fields.js';

const show = (path: FieldPath) => path.join('.') || 'the document';

function typeName(f: Field): string {
  switch (f.type) {
    case 'string': return f.enum ? f.enum.map((e) => `"${e}"`).join(' or ') : 'a string';
    case 'boolean': return 'true or false';
    case 'integer': return `a whole number${f.minimum !== undefined ? ` >= ${f.minimum}` : ''}${f.maximum !== undefined ? ` <= ${f.maximum}` : ''}`;
    case 'number': return 'a number';
    case 'null': return 'null';
    case 'scalar': return 'a string, number or boolean';
    case 'any': return 'any value';
    case 'list': return 'a list';
    case 'map': case 'object': return 'a mapping';
    case 'oneOf': return f.options.map(typeName).join(', or ');
  }
}

/** undefined when `value` fits `f` (not looking inside lists and mappings). */
function shallowMismatch(f: Field, value: unknown): string | undefined {
  switch (f.type) {
    case 'string':
      if (typeof value !== 'string') return 'type';
      if (f.enum && !f.enum.includes(value)) return 'value';
      if (f.pattern && !new RegExp(f.pattern).test(value)) return 'value';
      if (f.maxLength !== undefined && value.length > f.maxLength) return 'value';
      return undefined;
    case 'boolean': return typeof value === 'boolean' ? undefined : 'type';
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'type';
      return (f.minimum !== undefined && value < f.minimum) || (f.maximum !== undefined && value > f.maximum) ? 'value' : undefined;
    case 'number':
      if (typeof value !== 'number') return 'type';
      return f.minimum !== undefined && value < f.minimum ? 'value' : undefined;
    case 'null': return value === null ? undefined : 'type';
    case 'scalar': return ['string', 'number', 'boolean'].includes(typeof value) ? undefined : 'type';
    case 'any': return undefined;
    case 'list': return Array.isArray(value) ? (f.minItems !== undefined && value.length < f.minItems ? 'value' : undefined) : 'type';
    case 'map': case 'object': return isObj(value) ? undefined : 'type';
    case 'oneOf': return f.options.some((o) => !shallowMismatch(o, value)) ? undefined : 'type';
  }
}

function walk(r: FieldReader, f: Field, path: FieldPath, value: unknown, what: string): void {
  // null is "not set" for the loader (a `spec:` line with nothing under it).
  if (value === null && f.type !== 'null' && !(f.type === 'oneOf' && f.options.some((o) => o.type === 'null'))) return;
  const bad = shallowMismatch(f, value);
  if (bad) {
    const extra = f.type === 'string' && f.pattern && bad === 'value' ? ` matching ${f.pattern}` : f.type === 'list' && bad === 'value' ? ` of at least ${f.minItems} item(s)` : '';
    r.error(path, bad === 'type' ? 'WrongType' : 'BadValue', `${show(path)} must be ${typeName(f)}${extra}, got ${JSON.stringify(value)}`);
    return;
  }
  if (f.type === 'oneOf') {
    const match = f.options.find((o) => !shallowMismatch(o, value))!;
    walk(r, match, path, value, what);
  } else if (f.type === 'list') {
    (value as unknown[]).forEach((item, i) => walk(r, f.items, [...path, i], item, what));
  } else if (f.type === 'map') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(r, f.values, [...path, k], v, what);
  } else if (f.type === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of f.required ?? []) {
      if (obj[key] === undefined || obj[key] === null) r.error(path, 'MissingField', `${show([...path, key])} is required`);
    }
    if (f.oneOfRequired && !f.oneOfRequired.some((k) => obj[k] !== undefined && obj[k] !== null)) {
      r.error(path, 'MissingField', `one of ${f.oneOfRequired.map((k) => show([...path, k])).join(' or ')} is required (which objects does this apply to?)`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const sub = f.fields[k];
      if (sub) walk(r, sub, [...path, k], v, what);
      else if (!f.open) {
        r.findings.push({ severity: 'warning', code: 'UnknownField', place: r.at([...path, k]), message: `${r.what}: unknown field ${show([...path, k])} is ignored; ${what} ${show(path)} has ${Object.keys(f.fields).join(', ')}` });
      }
    }
  }
}

/** Check a document of a known gitfed kind; findings go to the reader's list. */
export function checkKindFields(r: FieldReader, kind: string): void {
  walk(r, documentFields(kind), [], r.doc.value, kind);
}
