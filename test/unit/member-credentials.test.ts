// How a kubeconfig user becomes request credentials (no apiserver needed):
// basic auth, tls-server-name, and when an exec plugin runs again.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { connect, endpointFor } from '../../operator/cluster/connect.js';
import { KubeCredentialError } from '../../operator/cluster/kube-types.js';
import { KubeconfigCredentials } from '../../operator/cluster/credentials.js';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-cred-'));
  dirs.push(dir);
  const path = join(dir, 'kubeconfig');
  await writeFile(path, stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://203.0.113.10:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  }));
  return { dir, path };
}

test('basic auth (username/password) becomes an Authorization: Basic header', async () => {
  const { path } = await kubeconfig({ username: 'admin', password: 's3cret' });
  const ep = await endpointFor(path, 'ctx');
  assert.equal(ep.headers?.authorization, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  assert.equal(ep.token, undefined);
});

test('tls-server-name and insecure-skip-tls-verify are kept', async () => {
  const { path } = await kubeconfig({ token: 't' }, { 'tls-server-name': 'api.internal.example', 'insecure-skip-tls-verify': true });
  const ep = await endpointFor(path, 'ctx');
  assert.equal(ep.tlsServerName, 'api.internal.example');
  assert.equal(ep.insecureSkipTlsVerify, true);
  assert.equal(ep.token, 't');
});

/** A kubeconfig whose user is an exec plugin that prints a new token per run, with the expiry written in the file `expiry`. */
async function execPluginKubeconfig(): Promise<{ dir: string; path: string }> {
  const { dir, path } = await kubeconfig({});
  const plugin = join(dir, 'plugin.mjs');
  // Prints a new token per run; expiry from a file; echoes the server it was told about.
  await writeFile(plugin, [
    "import { existsSync, readFileSync, writeFileSync } from 'node:fs';",
    "const dir = new URL('.', import.meta.url).pathname;",
    "const n = existsSync(dir + 'n') ? Number(readFileSync(dir + 'n', 'utf8')) + 1 : 1;",
    "writeFileSync(dir + 'n', String(n));",
    'const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);',
    "const expirationTimestamp = readFileSync(dir + 'expiry', 'utf8').trim();",
    "process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: `t${n}@${info.spec.cluster?.server}@${process.env.EXTRA}`, expirationTimestamp } }));",
  ].join('\n'));
  await writeFile(path, stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://203.0.113.10:6443' } }],
    users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [plugin], env: [{ name: 'EXTRA', value: 'x' }], provideClusterInfo: true } } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  }));
  await writeFile(join(dir, 'expiry'), new Date(Date.now() + 3_600_000).toISOString());
  return { dir, path };
}

test('an exec plugin runs once while its credential is valid, again when it expires or after a 401; it gets KUBERNETES_EXEC_INFO', async () => {
  const { dir, path } = await execPluginKubeconfig();
  const creds = new KubeconfigCredentials(path, 'ctx', 0);
  assert.equal((await creds.current()).token, 't1@https://203.0.113.10:6443@x');
  assert.equal((await creds.current()).token, 't1@https://203.0.113.10:6443@x', 'cached while valid');
  assert.equal(creds.execRuns, 1);
  assert.equal(process.env.EXTRA, undefined, 'the plugin env does not leak into the operator');
  creds.invalidate(); // what a 401 does
  assert.match((await creds.current()).token!, /^t2@/);
  await writeFile(join(dir, 'expiry'), new Date(Date.now() - 1000).toISOString());
  creds.invalidate();
  assert.match((await creds.current()).token!, /^t3@/);
  assert.match((await creds.current()).token!, /^t4@/, 'an expired credential is not used again');
});

test('requests that got the same 401 together run the exec plugin once: the first forgets the credential, the others find it renewed', async () => {
  const { path } = await execPluginKubeconfig();
  const creds = new KubeconfigCredentials(path, 'ctx', 0);
  const expired = await creds.current();
  creds.invalidate(expired);
  const renewing = creds.current();
  creds.invalidate(expired); // while the plugin runs
  const renewed = await renewing;
  creds.invalidate(expired); // after it ran
  assert.equal((await creds.current()).token, renewed.token);
  assert.equal(creds.execRuns, 2, 'one run for the first credential, one for all the 401s of it');
  creds.invalidate(renewed); // the renewed one is refused too
  assert.match((await creds.current()).token!, /^t3@/);
  assert.equal(creds.execRuns, 3);
});

test('a broken exec plugin is a credential error naming the context, not a crash', async () => {
  const { path } = await kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(tmpdir(), 'gitfed-no-such-plugin') } });
  await assert.rejects(new KubeconfigCredentials(path, 'ctx').current(), (e: Error & { code?: string }) => e.code === 'ECREDENTIALS' && /context "ctx": exec plugin/.test(e.message));
});

test('an exec plugin that hangs (and ignores SIGTERM) holds neither connect nor a request past its timeout: the request fails with a credential error', { timeout: 30_000 }, async () => {
  const { dir } = await kubeconfig({});
  const plugin = join(dir, 'hang.mjs');
  // Ignores SIGTERM; ends by itself after 5 s so the test leaves no process behind.
  await writeFile(plugin, "process.on('SIGTERM', () => {}); setTimeout(() => process.exit(1), 5000);\n");
  const { path } = await kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin] } });
  const conns = await connect(path, [{ name: 'a', context: 'ctx' }] as never, 500);
  const a = conns.get('a');
  assert.ok(a && !(a instanceof Error), String(a));
  await assert.rejects(a.http.request({ path: '/version', timeoutMs: 500 }), (e: Error) => e instanceof KubeCredentialError && /no credentials within 500 ms/.test(e.message));
});

test('a legacy auth-provider (gcp with a valid access-token) becomes a Bearer header; relative certificate paths are made absolute', async () => {
  const expiry = new Date(Date.now() + 3_600_000).toISOString();
  const { path } = await kubeconfig({ 'auth-provider': { name: 'gcp', config: { 'access-token': 'ya29.token', expiry } } });
  const ep = await endpointFor(path, 'ctx');
  assert.equal(ep.headers?.authorization, 'Bearer ya29.token');
  const { dir, path: withCa } = await kubeconfig({ token: 't' }, { 'certificate-authority': 'ca.crt' });
  await writeFile(join(dir, 'ca.crt'), 'CA FROM FILE\n');
  assert.equal((await endpointFor(withCa, 'ctx')).ca, 'CA FROM FILE\n', 'read next to the kubeconfig');
});

test('a kubeconfig entry without its required field is an error that names it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-cred-'));
  dirs.push(dir);
  const path = join(dir, 'kubeconfig');
  await writeFile(path, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: {} }], users: [], contexts: [{ name: 'ctx', context: { cluster: 'c' } }] }));
  await assert.rejects(endpointFor(path, 'ctx'), /clusters\[0\]\.cluster\.server is missing/);
});
