// The directory of gitfed's package.json, from the compiled file's place
// (dist/operator/cli/), so files shipped in the package (package.json,
// deploy/, schemas/) are found wherever npm installed it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error(`gitfed: cannot find package.json above ${dirname(fileURLToPath(import.meta.url))}`);
}
