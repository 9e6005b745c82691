// bench:peers' pure pieces: Flux gets exactly gitfed's render of the peer
// fleet (one kustomize overlay per cluster, the encrypted Secret left
// encrypted), and the printed p50/max and ratios say what the numbers say.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { packageRoot } from '../../operator/cli/package-root.js';
import { demoAgeKeyFile } from '../../operator/sandbox/demo-age-key.js';
import { fluxOverlays, overlayPath } from '../bench/peers/flux-overlays.js';
import { formatTable, latency, ratio, ratioLine } from '../bench/peers/peer-table.js';
import { encryptedFiles, renderPeerFleet, writePeerFleet } from '../bench/peers/peer-fleet.js';

test('Flux overlays hold each cluster\'s rendered objects, list them all, and keep the SOPS file encrypted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-peers-unit-'));
  try {
    const members = ['us-east1', 'europe-west1', 'asia-east1', 'cluster-04', 'cluster-05'];
    await writePeerFleet(packageRoot(), join(dir, 'fleet'), members, 'm-7');
    await writeFile(join(dir, 'age.key'), demoAgeKeyFile());
    const rendered = await renderPeerFleet(join(dir, 'fleet'), join(dir, 'age.key'));
    assert.deepEqual(rendered.map((c) => c.cluster).sort(), [...members].sort());
    const encrypted = await encryptedFiles(join(dir, 'fleet'));
    assert.deepEqual([...encrypted.keys()], ['manifests/tls-secret.yaml']);
    const files = fluxOverlays(rendered, encrypted);
    for (const c of rendered) {
      const root = overlayPath(c.cluster);
      const listed = (parse(files.get(`${root}/kustomization.yaml`)!) as { resources: string[] }).resources;
      const present = [...files.keys()].filter((p) => p.startsWith(`${root}/`) && !p.endsWith('/kustomization.yaml')).map((p) => p.slice(root.length + 1));
      assert.deepEqual([...listed].sort(), present.sort(), `${c.cluster}: kustomization.yaml lists exactly its files`);
      assert.equal(listed.length, c.objects.length, `${c.cluster}: one file per rendered object`);
      assert.ok(c.objects.length >= 55, `${c.cluster}: the sample fleet plus 50 objects (${c.objects.length})`);
      assert.equal(files.get(`${root}/encrypted/manifests_tls-secret.yaml`), encrypted.get('manifests/tls-secret.yaml'), 'the SOPS file goes in verbatim');
      const cm = parse(files.get(`${root}/bench/configmap-cm-0.yaml`)!) as { data: Record<string, string> };
      assert.equal(cm.data.marker, 'm-7');
    }
    // No decrypted Secret reaches the Flux repo.
    for (const [path, text] of files) {
      if (path.includes('/encrypted/')) continue;
      assert.doesNotMatch(text, /^kind: Secret$/m, `${path} is a plaintext Secret`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('p50 is the lower middle sample and max the largest; no samples is an error', () => {
  assert.deepEqual(latency([50, 10, 30, 20, 40]), { p50: 30, max: 50, n: 5 });
  assert.deepEqual(latency([4, 1, 3, 2]), { p50: 2, max: 4, n: 4 });
  assert.throws(() => latency([]), /no samples/);
});

test('ratios say lower or higher from gitfed\'s side, and a missing number prints "-"', () => {
  assert.equal(ratio(100, 2300), '23.0x lower');
  assert.equal(ratio(300, 100), '3.0x higher');
  assert.equal(ratio(undefined, 100), '-');
  const line = ratioLine({ name: 'gitfed', push: { p50: 100, max: 200, n: 5 }, idleCpu: 0.5, rssBytes: 100 }, { name: 'Flux', push: { p50: 1500, max: 4000, n: 5 }, idleCpu: 2, rssBytes: 300 });
  assert.equal(line, 'gitfed vs Flux: push->applied p50 15.0x lower (max 20.0x lower), idle CPU 4.0x lower, RSS 3.0x lower');
});

test('the table has one aligned row per peer, "-" where a peer has no such number', () => {
  const out = formatTable([
    { name: 'gitfed', push: { p50: 412.4, max: 530, n: 5 }, idleCpu: 0.214, rssBytes: 150 * 1048576, note: 'webhook' },
    { name: 'PATCH floor', push: { p50: 90, max: 120, n: 5 } },
  ]).split('\n');
  assert.equal(out.length, 3);
  assert.match(out[1]!, /^gitfed\s+412\s+530\s+0\.21\s+150\s+webhook$/);
  assert.match(out[2]!, /^PATCH floor\s+90\s+120\s+-\s+-$/);
  const end = (l: string, w: string) => l.indexOf(w) + w.length;
  assert.equal(end(out[1]!, '530'), end(out[0]!, 'max ms'), 'numbers are right-aligned under their header');
  assert.equal(end(out[2]!, '120'), end(out[0]!, 'max ms'));
});
