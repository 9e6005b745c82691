// A small JSON Schema (draft-07) checker for the keywords gitfed's generated
// schemas use (type, enum, pattern, maxLength, minimum, maximum, items,
// minItems, properties, required, additionalProperties, anyOf, $ref to
// #/definitions). gitfed has no schema library among its dependencies; the
// tests use this to check the generated schemas as an editor would.
type Schema = Record<string, any>;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v);

/** Paths (a.b.0) where `value` breaks `schema`; empty when valid. */
export function schemaErrors(schema: Schema, value: unknown, root: Schema = schema, path = ''): string[] {
  if (schema.$ref) return schemaErrors(root.definitions[String(schema.$ref).replace('#/definitions/', '')], value, root, path);
  const at = path || '(root)';
  const errs: string[] = [];
  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: type ${t}, want ${types.join('|')}`];
  }
  if (schema.enum && !schema.enum.includes(value)) errs.push(`${at}: not one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) errs.push(`${at}: does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errs.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errs.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((v, i) => errs.push(...schemaErrors(schema.items, v, root, `${path ? `${path}.` : ''}${i}`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errs.push(`${at}: ${r} is required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      const p = `${path ? `${path}.` : ''}${k}`;
      if (sub) errs.push(...schemaErrors(sub, v, root, p));
      else if (schema.additionalProperties === false) errs.push(`${p}: not allowed`);
      else if (typeof schema.additionalProperties === 'object') errs.push(...schemaErrors(schema.additionalProperties, v, root, p));
    }
  }
  if (schema.anyOf && !schema.anyOf.some((s: Schema) => schemaErrors(s, value, root, path).length === 0)) errs.push(`${at}: matches none of anyOf`);
  return errs;
}
