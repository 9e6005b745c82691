// JSON Schemas (draft-07, what yaml-language-server and VS Code read) for
// every gitfed.io/v1alpha1 kind, generated from the loader's field table
// (kind-fields.ts). Written to schemas/ by `npm run schemas`; a test fails
// when the committed files differ from what this generates.
import { API_VERSION, documentFields, KIND_FIELDS, type Field } from './kind-fields.js';

type Schema = Record<string, unknown>;

function toSchema(f: Field, optional: boolean): Schema {
  const doc = f.description ? { description: f.description } : {};
  switch (f.type) {
    case 'string': return { type: 'string', ...(f.enum ? { enum: [...f.enum] } : {}), ...(f.pattern ? { pattern: f.pattern } : {}), ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}), ...doc };
    case 'boolean': return { type: 'boolean', ...doc };
    case 'integer': return { type: 'integer', ...(f.minimum !== undefined ? { minimum: f.minimum } : {}), ...(f.maximum !== undefined ? { maximum: f.maximum } : {}), ...doc };
    case 'number': return { type: 'number', ...(f.minimum !== undefined ? { minimum: f.minimum } : {}), ...doc };
    case 'null': return { type: 'null', ...doc };
    case 'scalar': return { type: ['string', 'number', 'boolean'], ...doc };
    case 'any': return { ...doc };
    case 'list': return { type: 'array', items: toSchema(f.items, false), ...(f.minItems !== undefined ? { minItems: f.minItems } : {}), ...doc };
    case 'map': return { type: 'object', additionalProperties: toSchema(f.values, false), ...doc };
    case 'oneOf': return { anyOf: f.options.map((o) => toSchema(o, false)), ...doc };
    case 'object': {
      const required = f.required ?? [];
      return {
        // The loader reads an empty mapping key (`spec:` and nothing under it) as not set.
        type: optional ? ['object', 'null'] : 'object',
        ...doc,
        properties: Object.fromEntries(Object.entries(f.fields).map(([k, sub]) => [k, toSchema(sub, !required.includes(k))])),
        ...(required.length ? { required: [...required] } : {}),
        ...(f.oneOfRequired ? { anyOf: f.oneOfRequired.map((k) => ({ required: [k] })) } : {}),
        additionalProperties: !!f.open,
      };
    }
  }
}

export const SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/** File name of a kind's schema under schemas/, e.g. Cluster -> cluster.json. */
export const schemaFile = (kind: string) => `${kind.toLowerCase()}.json`;

/** The schema of one kind. */
export function kindSchema(kind: string): Schema {
  return { $schema: SCHEMA_DIALECT, title: `gitfed ${API_VERSION} ${kind}`, ...toSchema(documentFields(kind), false) };
}

/** schemas/all.json: any gitfed kind, for files with several kinds. */
export function allKindsSchema(): Schema {
  const kinds = Object.keys(KIND_FIELDS);
  return {
    $schema: SCHEMA_DIALECT, title: `gitfed ${API_VERSION} (any kind)`,
    definitions: Object.fromEntries(kinds.map((k) => [k, toSchema(documentFields(k), false)])),
    anyOf: kinds.map((k) => ({ $ref: `#/definitions/${k}` })),
  };
}

/** Every schema file: name -> JSON text (stable, so a diff shows a real change). */
export function schemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of Object.keys(KIND_FIELDS)) files.set(schemaFile(kind), JSON.stringify(kindSchema(kind), null, 2) + '\n');
  files.set('all.json', JSON.stringify(allKindsSchema(), null, 2) + '\n');
  return files;
}
