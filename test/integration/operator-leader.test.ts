// Leader election on a real Lease: only the leader is ready (/readyz 200),
// so a Service in front of the replicas sends webhooks to the leader only;
// the standby answers 503 and says why in /metrics, until it takes over.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fleetRepo } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-leader-'));
after(() => rm(work, { recursive: true, force: true }));

test('leader election: the standby is not ready (503, gitfed_not_ready{reason="standby"} 1) and becomes ready when it takes over', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('standby');
  const repo = await fleetRepo(sb, work, 'op-standby', ns);
  const lease = uniqueNamespace('gitfed');
  const logs: Record<string, string> = { a: '', b: '' };
  const procs: Record<string, ChildProcess> = {};
  for (const id of ['a', 'b']) {
    procs[id] = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0',
      '--leader-elect', '--lease-context', 'us-east1', '--lease-name', lease, '--lease-duration', '3s', '--identity', id, '--work-dir', join(work, `standby-${id}`), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs[id]!.stderr!.on('data', (d) => { logs[id] += d.toString(); });
  }
  try {
    const urls: Record<string, string> = {};
    for (const id of ['a', 'b']) urls[id] = await waitUntil(`${id} listens`, 20_000, async () => /"listen":"(http:[^"]+)"/.exec(logs[id]!)?.[1]);
    const status = async (id: string) => (await fetch(`${urls[id]}/readyz`)).status;
    const leader = await waitUntil('a leader that is ready', 30_000, async () => {
      for (const id of ['a', 'b']) if (/became leader/.test(logs[id]!) && (await status(id)) === 200) return id;
      return undefined;
    });
    const standby = leader === 'a' ? 'b' : 'a';
    const r = await fetch(`${urls[standby]}/readyz`);
    assert.equal(r.status, 503, 'the standby is not ready');
    assert.match(await r.text(), /standby/);
    assert.match(await (await fetch(`${urls[standby]}/metrics`)).text(), /^gitfed_not_ready\{reason="standby"\} 1$/m);
    assert.match(await (await fetch(`${urls[leader]}/metrics`)).text(), /^gitfed_not_ready\{reason="standby"\} 0$/m);
    procs[leader]!.kill('SIGKILL');
    await waitUntil('the standby takes over and becomes ready', 30_000, async () => (await status(standby)) === 200 || undefined, 250);
  } finally {
    for (const p of Object.values(procs)) p.kill('SIGKILL');
  }
});
