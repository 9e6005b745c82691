// gitfed init: a fleet repo from a kubeconfig that `gitfed validate` accepts
// as written, with providers read from GKE context names and exec plugins,
// a schema line on every YAML file, and no credential anywhere.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, test } from 'node:test';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { clusterFromContext } from '../../operator/cli/init-contexts.js';
import { main, type CliIO } from '../../operator/cli/main.js';
import { API_VERSION } from '../../operator/load/kind-fields.js';
import { schemaErrors } from '../helpers/json-schema-check.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-init-'));
after(() => rm(work, { recursive: true, force: true }));

const SECRET_TOKEN = 'tok-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e';
const SECRET_CA = Buffer.from('-----BEGIN CERTIFICATE-----\nnot-a-real-ca\n-----END CERTIFICATE-----\n').toString('base64');

/** A kubeconfig as admins have them: a GKE context, a gcloud exec plugin with flags, a kind cluster with a token. */
async function kubeconfigFile(): Promise<string> {
  const file = join(work, 'kubeconfig');
  await writeFile(file, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'kind-dev',
    clusters: ['gke', 'eu', 'kind'].map((n) => ({ name: n, cluster: { server: `https://${n}.example:443`, 'certificate-authority-data': SECRET_CA } })),
    users: [
      { name: 'gke-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'gke-gcloud-auth-plugin', provideClusterInfo: true } } },
      { name: 'eu-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: '/usr/lib/google-cloud-sdk/bin/gcloud', args: ['container', 'fleet', 'get-token', '--project=shop-eu', '--location', 'europe-west1-c', '--cluster=Shop_EU'] } } },
      { name: 'kind-user', user: { token: SECRET_TOKEN } },
    ],
    contexts: [
      { name: 'gke_shop-prod_us-central1-a_shop-us', context: { cluster: 'gke', user: 'gke-user' } },
      { name: 'eu', context: { cluster: 'eu', user: 'eu-user' } },
      { name: 'kind-dev', context: { cluster: 'kind', user: 'kind-user' } },
    ],
  }));
  return file;
}

function io(): CliIO & { text: () => string } {
  let text = '';
  return { out: (t) => { text += `${t}\n`; }, err: (t) => { text += `${t}\n`; }, cwd: work, env: {}, text: () => text };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

test('init: providers come from GKE context names and exec-plugin args, anything else is provider: other', () => {
  assert.deepEqual(clusterFromContext({ name: 'gke_shop-prod_us-central1-a_shop-us' }), { suggestedName: 'shop-us', context: 'gke_shop-prod_us-central1-a_shop-us', provider: 'gce', gce: { project: 'shop-prod', zone: 'us-central1-a' }, source: 'GKE context name' });
  assert.deepEqual(clusterFromContext({ name: 'eu', exec: { command: 'gcloud', args: ['--project', 'p', '--region=europe-west1', '--cluster', 'EU_1'] } }).gce, { project: 'p', zone: 'europe-west1' });
  assert.equal(clusterFromContext({ name: 'arn:aws:eks:us-east-1:123:cluster/Prod_1' }).provider, 'other');
  assert.equal(clusterFromContext({ name: 'arn:aws:eks:us-east-1:123:cluster/Prod_1' }).suggestedName, 'arn-aws-eks-us-east-1-123-cluster-prod-1');
});

test('init: writes a fleet repo that gitfed validate accepts, with a schema line on every YAML file and no credentials', async () => {
  const kubeconfig = await kubeconfigFile();
  const dir = join(work, 'shop-fleet');
  const run = io();
  assert.equal(await main(['init', dir, '--kubeconfig', kubeconfig], run), 0, run.text());
  const files = await filesUnder(dir);
  assert.deepEqual(files.filter((f) => !f.startsWith('schemas/')), [
    '.gitignore', 'README.md', 'clusters/kind-dev.yaml', 'clusters/shop-eu.yaml', 'clusters/shop-us.yaml', 'manifests/nginx.yaml',
    'policies/drift.yaml', 'policies/fleet.yaml', 'policies/node-ports.yaml', 'policies/rollout.yaml',
  ]);
  assert.ok(files.includes('schemas/cluster.json') && files.includes('schemas/rolloutpolicy.json'));

  const cluster = (name: string) => readFile(join(dir, 'clusters', `${name}.yaml`), 'utf8').then(parse);
  assert.deepEqual((await cluster('shop-us')).spec, { context: 'gke_shop-prod_us-central1-a_shop-us', provider: 'gce', gce: { project: 'shop-prod', zone: 'us-central1-a' } });
  assert.deepEqual((await cluster('shop-eu')).spec, { context: 'eu', provider: 'gce', gce: { project: 'shop-eu', zone: 'europe-west1-c' } });
  assert.deepEqual((await cluster('kind-dev')).spec, { context: 'kind-dev', provider: 'other' });

  for (const f of files.filter((x) => /\.ya?ml$/.test(x))) {
    const text = await readFile(join(dir, f), 'utf8');
    const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    assert.ok(m, `${f} starts with a yaml-language-server schema line`);
    if (!m[1]!.startsWith('https://')) {
      const schemaPath = resolve(dirname(join(dir, f)), m[1]!);
      assert.ok(existsSync(schemaPath), `${f}: its schema ${m[1]} exists`);
      const schema = JSON.parse(await readFile(schemaPath, 'utf8'));
      for (const d of parseAllDocuments(text)) {
        const doc = d.toJS();
        if (doc) assert.deepEqual(schemaErrors(schema, doc), [], `${f} is valid for its schema`);
      }
    }
  }
  const everything = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
  assert.ok(!everything.includes(SECRET_TOKEN) && !everything.includes(SECRET_CA), 'no credential from the kubeconfig is written');
  assert.doesNotMatch(everything, /certificate-authority|client-key|token:/);

  const validate = io();
  assert.equal(await main(['validate', dir], validate), 0, validate.text());
  assert.match(validate.text(), /fleet is valid: 3 cluster\(s\), 4 manifest\(s\) \(0 error\(s\), 0 warning\(s\)\)/);
  const fleet = parse(await readFile(join(dir, 'policies/fleet.yaml'), 'utf8'));
  assert.deepEqual([fleet.apiVersion, fleet.kind, fleet.metadata.name], [API_VERSION, 'Fleet', 'shop-fleet']);
});

test('init: --context picks contexts; an unknown one is a usage error naming the contexts there are', async () => {
  const kubeconfig = await kubeconfigFile();
  const dir = join(work, 'only-gke');
  assert.equal(await main(['init', dir, '--kubeconfig', kubeconfig, '--context', 'gke_shop-prod_us-central1-a_shop-us'], io()), 0);
  assert.deepEqual(await readdir(join(dir, 'clusters')), ['shop-us.yaml']);
  const bad = io();
  assert.equal(await main(['init', join(work, 'nope'), '--kubeconfig', kubeconfig, '--context', 'prod'], bad), 2);
  assert.match(bad.text(), /has no context "prod" \(contexts: gke_shop-prod_us-central1-a_shop-us, eu, kind-dev\)/);
});

test('init: refuses a directory that is not empty unless --force, and --force leaves other files alone', async () => {
  const kubeconfig = await kubeconfigFile();
  const dir = join(work, 'busy');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'notes.txt'), 'mine\n');
  const refused = io();
  assert.equal(await main(['init', dir, '--kubeconfig', kubeconfig], refused), 1);
  assert.match(refused.text(), /is not empty; choose an empty directory, or pass --force/);
  assert.deepEqual(await readdir(dir), ['notes.txt'], 'nothing written');
  assert.equal(await main(['init', dir, '--kubeconfig', kubeconfig, '--force'], io()), 0);
  assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'mine\n');
  assert.ok(existsSync(join(dir, 'clusters/shop-us.yaml')));
});
