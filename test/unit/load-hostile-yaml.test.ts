// YAML that is hostile or merely careless: anchors and aliases, self-aliases,
// deep nesting, keys that differ only in type, tags JSON cannot hold, a quoted
// replica count. Each gives an error finding at its file:line:col (never an
// exception out of the loader, never an object other than the one written),
// and a fleet with an error renders nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAllocations, type Finding, type KubeObject } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { formatFinding, loadFleetFiles } from '../../operator/load/index.js';

const CLUSTERS = ['a', 'b'].map((n, i) => `apiVersion: gitfed.io/v1alpha1
kind: Cluster
metadata: { name: ${n} }
spec: { gce: { project: p, zone: z${i} } }
`).join('---\n');

type Files = Record<string, string>;

/** What `gitfed validate` shows: load + offline render, the error findings. */
function validate(files: Files): { errors: Finding[]; rendered: ReturnType<typeof render> } {
  const enc = new TextEncoder();
  const list = Object.entries({ 'clusters/c.yaml': CLUSTERS, ...files }).map(([path, c]) => ({ path, content: enc.encode(c) }));
  const loaded = loadFleetFiles(list);
  const rendered = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings });
  const errors = rendered.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) assert.deepEqual(rendered.clusters, [], 'a broken fleet renders nothing');
  return { errors, rendered };
}

const deployment = (replicas: string, kind = 'Deployment') => `apiVersion: apps/v1
kind: ${kind}
metadata: { name: web, namespace: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: c, image: nginx }] } }
`;

const configMap = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm, namespace: shop }\ndata:${data}\n`;

interface Case {
  name: string;
  files: Files;
  code: string;
  /** `file:line:col` of the finding */
  at: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'a ConfigMap whose data holds an alias of itself', files: { 'manifests/cm.yaml': configMap(' &d { self: *d }') },
    code: 'AliasCycle', at: 'manifests/cm.yaml:4:18', message: /the alias \*d is inside its own anchor &d: a value cannot contain itself/ },
  { name: 'a Cluster whose spec holds a list that contains itself', files: { 'clusters/more.yaml': 'apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c }\nspec: { paused: &p [ *p ] }\n' },
    code: 'AliasCycle', at: 'clusters/more.yaml:4:22', message: /alias \*p is inside its own anchor &p/ },
  { name: 'a self-alias deep inside a block list', files: { 'manifests/cm.yaml': configMap('\n  list: &l\n    - one\n    - [two, *l]') },
    code: 'AliasCycle', at: 'manifests/cm.yaml:7:13', message: /alias \*l is inside its own anchor &l/ },
  { name: 'an alias with no anchor before it', files: { 'manifests/cm.yaml': configMap('\n  a: *later\n  b: &later x') },
    code: 'UnknownAlias', at: 'manifests/cm.yaml:5:6', message: /the alias \*later has no anchor &later before it/ },
  { name: 'a 10,000-deep block sequence (the parser runs out of stack)', files: { 'manifests/deep.yaml': `${configMap(' {}')}extra:\n${'- '.repeat(10000)}x\n` },
    code: 'YamlTooDeep', at: 'manifests/deep.yaml:1:1', message: /^manifests\/deep\.yaml is nested too deeply for the YAML parser/ },
  { name: 'keys 8080 and "8080" in one mapping', files: { 'manifests/cm.yaml': configMap('\n  "8080": frontend\n  8080: admin-console') },
    code: 'DuplicateKey', at: 'manifests/cm.yaml:6:3', message: /duplicate key: 8080 and "8080" \(line 5\) are the same key once loaded/ },
  { name: 'keys true and "true" in one flow mapping', files: { 'manifests/cm.yaml': configMap(' { "true": "no", true: "yes" }') },
    code: 'DuplicateKey', at: 'manifests/cm.yaml:4:23', message: /duplicate key: true and "true" \(line 4\) are the same key/ },
  { name: 'keys ~ and "" in one mapping', files: { 'manifests/cm.yaml': configMap('\n  ~: a\n  "": b') },
    code: 'DuplicateKey', at: 'manifests/cm.yaml:6:3', message: /duplicate key: "" and ~ \(line 5\)/ },
  { name: 'a !!set (JSON would write {})', files: { 'manifests/cm.yaml': configMap('\n  a: !!set { x }') },
    code: 'NotJsonValue', at: 'manifests/cm.yaml:5:12', message: /the YAML tag !!set gives a value JSON \(what gitfed applies\) cannot hold/ },
  { name: 'a !!binary value (JSON would write its bytes as a mapping)', files: { 'manifests/cm.yaml': configMap('\n  a: !!binary aGk=') },
    code: 'NotJsonValue', at: 'manifests/cm.yaml:5:15', message: /the YAML tag !!binary gives a value JSON/ },
  { name: 'an infinite number (JSON would write null)', files: { 'manifests/cm.yaml': configMap('\n  a: x\n  b: [1, .inf]') },
    code: 'NotJsonValue', at: 'manifests/cm.yaml:6:10', message: /\.inf is not a number JSON \(what gitfed applies\) can hold/ },
  { name: 'a Placement selector value that is a mapping with toString', files: { 'policies/p.yaml': 'apiVersion: gitfed.io/v1alpha1\nkind: Placement\nmetadata: { name: p }\nspec:\n  resources: [{ kind: ConfigMap, name: x, namespace: web }]\n  clusters:\n    matchExpressions:\n      - { key: region, operator: In, values: [ { toString: 1 } ] }\n' },
    code: 'WrongType', at: 'policies/p.yaml:8:48', message: /values\.0 must be a string, number or boolean, got \{"toString":1\}/ },
  { name: 'a quoted Deployment replica count', files: { 'manifests/d.yaml': deployment('"30"') },
    code: 'BadReplicas', at: 'manifests/d.yaml:5:3', message: /Deployment web: spec\.replicas must be a whole number 0-2147483647 \(unquoted\), got "30"/ },
  { name: 'a fractional Deployment replica count', files: { 'manifests/d.yaml': deployment('2.5') },
    code: 'BadReplicas', at: 'manifests/d.yaml:5:3', message: /spec\.replicas must be a whole number 0-2147483647 \(unquoted\), got 2.5/ },
  { name: 'a negative ReplicaSet replica count', files: { 'manifests/d.yaml': deployment('-4', 'ReplicaSet') },
    code: 'BadReplicas', at: 'manifests/d.yaml:5:3', message: /ReplicaSet web: spec\.replicas must be a whole number .*, got -4/ },
  { name: 'a replica count over int32', files: { 'manifests/d.yaml': deployment('2147483648') },
    code: 'BadReplicas', at: 'manifests/d.yaml:5:3', message: /got 2147483648/ },
  { name: 'a replica count too large for a number', files: { 'manifests/d.yaml': deployment('1e400') },
    code: 'NotJsonValue', at: 'manifests/d.yaml:5:13', message: /1e400 is not a number JSON/ },
];

for (const c of cases) {
  test(`hostile YAML: ${c.name}`, () => {
    const { errors } = validate(c.files);
    const lines = errors.map(formatFinding);
    const hit = errors.find((e) => e.code === c.code && c.message.test(e.message));
    assert.ok(hit, `no ${c.code} error matches ${c.message}; got:\n${lines.join('\n')}`);
    assert.equal(formatFinding(hit).split(': ')[0], c.at, lines.join('\n'));
  });
}

test('hostile YAML: an anchor used twice becomes two objects: an Override of the template labels leaves the aliased selector as written', () => {
  const { errors, rendered } = validate({
    'manifests/d.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: shop }\nspec:\n  replicas: 2\n  selector:\n    matchLabels: &labels { app: web }\n  template:\n    metadata: { labels: *labels }\n    spec: { containers: [{ name: c, image: nginx }] }\n',
    'policies/o.yaml': 'apiVersion: gitfed.io/v1alpha1\nkind: Override\nmetadata: { name: canary }\nspec:\n  resources: [{ kind: Deployment, name: web, namespace: shop }]\n  clusters: { names: [b] }\n  patches:\n    - { op: add, path: /spec/template/metadata/labels/track, value: canary }\n',
  });
  assert.deepEqual(errors.map(formatFinding), []);
  const spec = (cluster: string) => {
    const d = rendered.clusters.find((c) => c.cluster === cluster)!.objects.find((o: KubeObject) => o.kind === 'Deployment')!;
    const s = d.spec as { selector: { matchLabels: unknown }; template: { metadata: { labels: unknown } } };
    return { selector: s.selector.matchLabels, template: s.template.metadata.labels };
  };
  assert.deepEqual(spec('a'), { selector: { app: 'web' }, template: { app: 'web' } });
  assert.deepEqual(spec('b'), { selector: { app: 'web' }, template: { app: 'web', track: 'canary' } });
});

test('hostile YAML: aliases that expand a 40 KB file to 2 million values are an alias bomb, though under maxAliasCount', () => {
  const text = `${configMap(' {}')}x: &a [${'1,'.repeat(19999)}1]\ny: [${Array(99).fill('*a').join(', ')}]\n`;
  const { errors } = validate({ 'manifests/bomb.yaml': text });
  assert.deepEqual(errors.map((e) => `${formatFinding(e).split(': ')[0]} ${e.code}`), ['manifests/bomb.yaml:1:1 AliasLimit']);
  assert.match(errors[0]!.message, /aliases expand this file to more than \d+ values: this looks like an alias bomb/);
});

test('input users really write: an anchor for a repeated value, whole-number and null replica counts load as written', () => {
  const { errors, rendered } = validate({
    'manifests/d.yaml': `${deployment('0')}---\n${deployment('3').replace('name: web', 'name: api')}---\n${deployment('~').replace('name: web', 'name: db')}`,
    'manifests/cm.yaml': configMap('\n  a: &v "shared"\n  b: *v'),
  });
  assert.deepEqual(errors.map(formatFinding), []);
  assert.deepEqual(rendered.replicas.map((r) => `${r.ref.name}=${r.total}`).sort(), ['api=3', 'db=1', 'web=0']);
  const cm = rendered.clusters[0]!.objects.find((o: KubeObject) => o.kind === 'ConfigMap' && o.metadata.name === 'cm')!;
  assert.deepEqual(cm.data, { a: 'shared', b: 'shared' });
});
