// Writes schemas/*.json from the loader's field table (npm run schemas).
// The schema test fails when the committed files differ from this output.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '../dist/operator/load/json-schema.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
await mkdir(out, { recursive: true });
for (const [name, text] of schemaFiles()) await writeFile(join(out, name), text);
console.log(`wrote ${schemaFiles().size} schema files to schemas/`);
