// The JSON Schemas editors use and the loader `gitfed validate` uses come from
// one field table: every example the table gives loads cleanly and is
// schema-valid, every broken variant is rejected by both, every gitfed YAML
// in this repository is judged the same by both, and the committed schemas/
// files are what the table generates.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { main, type CliIO } from '../../operator/cli/main.js';
import type { Finding } from '../../operator/core/model.js';
import { loadFleetFiles } from '../../operator/load/index.js';
import { allKindsSchema, kindSchema, schemaFile, schemaFiles } from '../../operator/load/json-schema.js';
import { API_VERSION, documentFields, KIND_FIELDS, type Field } from '../../operator/load/kind-fields.js';
import { schemaErrors } from '../helpers/json-schema-check.js';

const KINDS = Object.keys(KIND_FIELDS);

/** A valid value for a field, from its example or its type. */
function exampleOf(f: Field, full: boolean): unknown {
  if (f.example !== undefined) return f.example;
  switch (f.type) {
    case 'string': return f.enum?.[0] ?? 'example';
    case 'boolean': return true;
    case 'integer': return Math.max(f.minimum ?? 1, 1);
    case 'number': return 1;
    case 'null': return null;
    case 'scalar': case 'any': return 'example';
    case 'list': return [exampleOf(f.items, full)];
    case 'map': return { example: exampleOf(f.values, full) };
    case 'oneOf': return exampleOf(f.options[0]!, full);
    case 'object': {
      const keys = Object.keys(f.fields).filter((k) => full || f.required?.includes(k) || f.oneOfRequired?.[0] === k);
      return Object.fromEntries(keys.map((k) => [k, exampleOf(f.fields[k]!, full)]));
    }
  }
}

function exampleDoc(kind: string, full: boolean): Record<string, any> {
  const doc = exampleOf(documentFields(kind), full) as Record<string, any>;
  return { ...doc, apiVersion: API_VERSION, kind, metadata: { ...doc.metadata, name: 'example' } };
}

/** Values that break a field: [description, value]. */
function brokenValues(f: Field): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  switch (f.type) {
    case 'string':
      out.push(['a number', 12345]);
      if (f.enum) out.push(['a value not allowed', 'not-a-choice']);
      if (f.pattern) out.push(['a malformed value', 'Not A_Valid !value']);
      break;
    case 'boolean': out.push(['a string', 'yes']); break;
    case 'integer':
      out.push(['a string', 'many'], ['a fraction', 1.5]);
      if (f.minimum !== undefined) out.push(['too small', f.minimum - 1]);
      if (f.maximum !== undefined) out.push(['too large', f.maximum + 1]);
      break;
    case 'number': out.push(['a string', 'x']); break;
    case 'scalar': out.push(['a mapping', { a: 1 }]); break;
    case 'list':
      out.push(['a string', 'x']);
      if (f.minItems) out.push(['empty', []]);
      break;
    case 'map': case 'object': out.push(['a string', 'x']); break;
    case 'oneOf': out.push(['a mapping', { a: 1 }]); break;
    case 'null': case 'any': break;
  }
  return out;
}

/** Every field below `f` with its path (list items as index 0, map values as key "example"). */
function* fieldPaths(f: Field, path: (string | number)[]): Generator<[(string | number)[], Field]> {
  yield [path, f];
  if (f.type === 'object') for (const [k, sub] of Object.entries(f.fields)) yield* fieldPaths(sub, [...path, k]);
  if (f.type === 'list') yield* fieldPaths(f.items, [...path, 0]);
  if (f.type === 'map') yield* fieldPaths(f.values, [...path, 'example']);
  if (f.type === 'oneOf') for (const o of f.options) if (o.type === 'object' || o.type === 'list') yield* fieldPaths(o, path);
}

/** A copy of `doc` with the field at `path` set (or deleted); undefined when the example has no such place. */
function setPath(doc: any, path: (string | number)[], value: unknown): any {
  const copy = structuredClone(doc);
  let at = copy;
  for (const step of path.slice(0, -1)) {
    at = at?.[step];
    if (typeof at !== 'object' || at === null) return undefined;
  }
  if (value === undefined) delete at[path[path.length - 1]!];
  else at[path[path.length - 1]!] = value;
  return copy;
}

function load(doc: unknown): Finding[] {
  const file = (doc as { kind?: string }).kind === 'Cluster' ? 'clusters/c.yaml' : 'policies/p.yaml';
  return loadFleetFiles([{ path: file, content: new TextEncoder().encode(stringify(doc)) }]).findings;
}

const complaints = (findings: Finding[]) => findings.filter((f) => f.severity === 'error' || f.code === 'UnknownField');

test('schemas: the committed schemas/ files are exactly what the field table generates (run `npm run schemas`)', async () => {
  for (const [name, text] of schemaFiles()) {
    assert.equal(await readFile(`schemas/${name}`, 'utf8').catch(() => '(missing)'), text, `schemas/${name} is stale: run npm run schemas`);
  }
  const committed = execFileSync('git', ['ls-files', 'schemas'], { encoding: 'utf8' }).trim().split('\n').map((p) => p.replace('schemas/', ''));
  assert.deepEqual(committed.sort(), [...schemaFiles().keys()].sort(), 'no stale extra schema file');
  assert.deepEqual(KINDS.sort(), ['Cluster', 'DriftPolicy', 'Fleet', 'NodePortPolicy', 'Override', 'Placement', 'RolloutPolicy']);
});

for (const kind of KINDS) {
  test(`schemas: ${kind}: the table's examples load without a complaint and are schema-valid; each broken field is rejected by both`, () => {
    const schema = kindSchema(kind);
    for (const full of [false, true]) {
      const doc = exampleDoc(kind, full);
      assert.deepEqual(complaints(load(doc)), [], `${full ? 'full' : 'minimal'} ${kind} loads cleanly:\n${stringify(doc)}`);
      assert.deepEqual(schemaErrors(schema, doc), [], `${full ? 'full' : 'minimal'} ${kind} is schema-valid`);
      assert.deepEqual(schemaErrors(allKindsSchema(), doc), [], 'and valid for all.json');
    }
    const full = exampleDoc(kind, true);
    let cases = 0;
    for (const [path, field] of fieldPaths(documentFields(kind), [])) {
      if (path.length === 0 || path[0] === 'apiVersion' || path[0] === 'kind') continue; // dispatch keys: the loader's own checks
      for (const [what, value] of brokenValues(field)) {
        const doc = setPath(full, path, value);
        if (!doc) continue;
        const label = `${kind} ${path.join('.')} as ${what} (${JSON.stringify(value)})`;
        assert.ok(complaints(load(doc)).some((f) => f.severity === 'error'), `the loader rejects ${label}`);
        assert.notDeepEqual(schemaErrors(schema, doc), [], `the schema rejects ${label}`);
        cases++;
      }
      if (field.type === 'object' && !field.open) {
        const doc = setPath(full, [...path, 'unknownField'], 1);
        if (!doc) continue;
        assert.ok(load(doc).some((f) => f.code === 'UnknownField' && f.message.includes('unknownField')), `the loader warns about ${kind} ${path.join('.')}.unknownField`);
        assert.notDeepEqual(schemaErrors(schema, doc), [], `the schema rejects ${kind} ${path.join('.')}.unknownField`);
      }
      for (const req of field.type === 'object' ? field.required ?? [] : []) {
        if (path.length === 1 && req === 'name') continue; // metadata.name: the loader's basic check
        const doc = setPath(full, [...path, req], undefined);
        if (!doc) continue;
        assert.ok(complaints(load(doc)).some((f) => f.severity === 'error'), `the loader requires ${kind} ${[...path, req].join('.')}`);
        assert.notDeepEqual(schemaErrors(schema, doc), [], `the schema requires ${kind} ${[...path, req].join('.')}`);
      }
    }
    assert.ok(cases > 3, `${kind}: ${cases} broken variants checked`);
  });
}

test('schemas: every gitfed document in this repository is judged the same way by the loader and the schema', async () => {
  const files = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { encoding: 'utf8' }).trim().split('\n');
  let checked = 0;
  for (const file of files) {
    for (const d of parseAllDocuments(await readFile(file, 'utf8'))) {
      const doc = d.toJS();
      if (doc?.apiVersion !== API_VERSION || !KIND_FIELDS[doc.kind]) continue;
      const loaderOk = complaints(load(doc)).length === 0;
      const schemaOk = schemaErrors(kindSchema(doc.kind), doc).length === 0;
      assert.equal(schemaOk, loaderOk, `${file} ${doc.kind} ${doc.metadata?.name}: loader ${loaderOk ? 'accepts' : 'rejects'}, schema ${schemaOk ? 'accepts' : 'rejects'}`);
      checked++;
    }
  }
  assert.ok(checked >= 7, `checked ${checked} documents (the sample fleet at least)`);
});

test('schemas: gitfed validate accepts the RolloutPolicy example with no finding', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-schemas-'));
  try {
    await mkdir(join(dir, 'policies'));
    await mkdir(join(dir, 'clusters'));
    // The example's waves name us-east1: register it, as a real fleet would.
    await writeFile(join(dir, 'clusters/us-east1.yaml'), stringify({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: 'us-east1' }, spec: { gce: { project: 'p', zone: 'us-east1-b' } } }));
    await writeFile(join(dir, 'policies/rollout.yaml'), `# yaml-language-server: $schema=../schemas/${schemaFile('RolloutPolicy')}\n${stringify(exampleDoc('RolloutPolicy', true))}`);
    let out = '';
    const io: CliIO = { out: (t) => { out += `${t}\n`; }, err: (t) => { out += `${t}\n`; }, cwd: process.cwd(), env: process.env };
    assert.equal(await main(['validate', dir], io), 0, out);
    assert.doesNotMatch(out, /rollout\.yaml:\d+:\d+: (error|warning)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
