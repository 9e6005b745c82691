// `gitfed run` flags that would turn into a busy loop, a timer Node fires at
// once, an unsigned webhook or a stack trace are usage errors (exit 2) that
// name the flag, found before anything starts.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main, type CliIO } from '../../operator/cli/main.js';

const dir = await mkdtemp(join(tmpdir(), 'gitfed-flags-'));
after(() => rm(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const io = { stdout: '', stderr: '', cwd: dir, env: process.env, out: (t: string) => { io.stdout += `${t}\n`; }, err: (t: string) => { io.stderr += `${t}\n`; } } satisfies CliIO & { stdout: string; stderr: string };
  const code = await main(['run', '--dir', join(dir, 'fleet'), '--kubeconfig', join(dir, 'kubeconfig'), ...args], io);
  return { code, err: io.stderr };
}

test('gitfed run: durations outside what a timer can do are usage errors naming the flag', async () => {
  for (const [args, message] of [
    [['--interval', '0s'], /--interval: must be at least 100ms, got "0s"/],
    [['--interval', '999999h'], /--interval: must be at most 596h \(24 days, the longest timer Node\.js keeps\), got "999999h"/],
    [['--retry-interval', '999999h'], /--retry-interval: must be at most 596h/],
    [['--health-interval', '999999h'], /--health-interval: must be at most 596h/],
    [['--health-interval', '500ms'], /--health-interval: must be at least 1s/],
    [['--git-timeout', '0s'], /--git-timeout: must be at least 1ms/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message, args.join(' '));
  }
});

test('gitfed run: an empty or missing --webhook-secret-file and a bad --listen are usage errors, not an open webhook or a stack trace', async () => {
  const blank = join(dir, 'blank-secret');
  await writeFile(blank, '\n  \n');
  for (const [args, message] of [
    [['--webhook-secret-file', 'blank-secret'], /--webhook-secret-file blank-secret is empty; \/webhook would accept unsigned requests/],
    [['--webhook-secret-file', 'no-such-secret'], /--webhook-secret-file no-such-secret: no such file/],
    [['--listen', '127.0.0.1:99999'], /--listen expects HOST:PORT with a port from 0 to 65535 .*got "127\.0\.0\.1:99999"/],
    [['--listen', '127.0.0.1:18433x'], /--listen expects HOST:PORT/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message, args.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});
