// The fast part of the fault suite (`npm run faults` runs all of it): each
// fault against a real 2-cluster sandbox and the real `gitfed` process, and
// each must be survived: no crash, nothing lost, no unsafe write, recovered.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FAULT_CASES } from '../faults/catalog.js';
import { faultEnv } from '../faults/env.js';
import { formatLine, survived } from '../faults/outcome.js';
import { sandbox } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-faults-'));
after(() => rm(work, { recursive: true, force: true }));

for (const c of FAULT_CASES.filter((x) => x.fast)) {
  test(`fault: ${c.label}`, async () => {
    const sb = await sandbox({ clusters: 2, controllers: false, nodesPerCluster: 0 });
    const outcome = await c.run(faultEnv(sb, work));
    assert.ok(survived(outcome), formatLine(c.label, outcome));
  });
}
