// Bad input, case by case: given a small fleet tree, gitfed validate's
// findings name the file, line and column, and nothing is rendered.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { emptyAllocations, type Finding } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { formatFinding, loadFleetDir } from '../../operator/load/index.js';

const roots: string[] = [];
after(async () => { for (const r of roots) await rm(r, { recursive: true, force: true }); });

const CLUSTERS = `apiVersion: gitfed.io/v1alpha1
kind: Cluster
metadata:
  name: a
spec:
  gce: { project: p, zone: z1 }
---
apiVersion: gitfed.io/v1alpha1
kind: Cluster
metadata:
  name: b
spec:
  gce: { project: p, zone: z2 }
`;

const SERVICE = (extra = '') => `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  selector: { app: web }
  ports:
    - port: 80${extra}
`;

type Files = Record<string, string | Uint8Array>;

async function fleetDir(files: Files, setup?: (root: string) => Promise<void>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'gitfed-load-'));
  roots.push(root);
  for (const [path, content] of Object.entries({ 'clusters/all.yaml': CLUSTERS, ...files })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  if (setup) await setup(root);
  return root;
}

/** What `gitfed validate` reports: load + validate + offline render. */
async function validate(root: string): Promise<Finding[]> {
  const loaded = await loadFleetDir(root);
  const r = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings });
  if (r.findings.some((f) => f.severity === 'error')) assert.deepEqual(r.clusters, [], 'a broken fleet renders nothing');
  return r.findings.filter((f) => f.severity === 'error');
}

interface Case {
  name: string;
  files: Files;
  setup?: (root: string) => Promise<void>;
  /** `file:line:col` of the first error */
  at: string;
  message: RegExp;
}

const policy = (body: string) => `apiVersion: gitfed.io/v1alpha1\n${body}`;

const cases: Case[] = [
  { name: 'YAML syntax error', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [unclosed\n' }, at: 'manifests/a.yaml:6:1', message: /YAML syntax error/ },
  { name: 'duplicate keys', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n' }, at: 'manifests/a.yaml:5:3', message: /duplicate key/ },
  { name: 'alias bomb', files: { 'manifests/bomb.yaml': 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n' }, at: 'manifests/bomb.yaml:1:1', message: /alias bomb/ },
  { name: 'file over the size limit', files: { 'manifests/big.yaml': `# ${'x'.repeat(5 * 1024 * 1024)}\n` }, at: 'manifests/big.yaml:1:1', message: /limit is 4194304: split it/ },
  { name: 'non-UTF-8 bytes', files: { 'manifests/latin1.yaml': Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]) }, at: 'manifests/latin1.yaml:4:12', message: /not valid UTF-8 \(byte 0xe9/ },
  { name: 'symlink pointing outside the fleet root', files: {}, setup: async (root) => { await mkdir(join(root, 'manifests'), { recursive: true }); await symlink('/etc/hostname', join(root, 'manifests', 'evil.yaml')); }, at: 'manifests/evil.yaml:1:1', message: /points outside the fleet repo/ },
  { name: 'missing kind', files: { 'manifests/a.yaml': 'apiVersion: v1\nmetadata:\n  name: x\n' }, at: 'manifests/a.yaml:1:1', message: /kind is missing/ },
  { name: 'missing apiVersion', files: { 'manifests/a.yaml': 'kind: ConfigMap\nmetadata:\n  name: x\n' }, at: 'manifests/a.yaml:1:1', message: /apiVersion is missing/ },
  { name: 'missing metadata.name', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n' }, at: 'manifests/a.yaml:3:1', message: /metadata.name is missing/ },
  { name: 'name that is not DNS-1123', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: My_Config\n' }, at: 'manifests/a.yaml:4:3', message: /"My_Config" is not a valid name/ },
  { name: 'namespace that is not DNS-1123', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: Shop.Front\n' }, at: 'manifests/a.yaml:5:3', message: /not a valid namespace/ },
  { name: 'the same object defined twice', files: { 'manifests/a.yaml': SERVICE(), 'manifests/b.yaml': SERVICE() }, at: 'manifests/b.yaml:4:3', message: /also defined at manifests\/a.yaml:1/ },
  { name: 'a document that is not a mapping', files: { 'manifests/a.yaml': '- just\n- a list\n' }, at: 'manifests/a.yaml:1:1', message: /must be a Kubernetes object/ },
  { name: 'two NodePortPolicies', files: { 'policies/p.yaml': policy('kind: NodePortPolicy\nmetadata:\n  name: one\n---\napiVersion: gitfed.io/v1alpha1\nkind: NodePortPolicy\nmetadata:\n  name: two\n') }, at: 'policies/p.yaml:1:1', message: /at most one NodePortPolicy/ },
  { name: 'malformed NodePortPolicy range', files: { 'policies/p.yaml': policy('kind: NodePortPolicy\nmetadata:\n  name: p\nspec:\n  range: "32767-30000"\n') }, at: 'policies/p.yaml:6:3', message: /not a range of ports/ },
  { name: 'unknown gitfed kind', files: { 'policies/p.yaml': policy('kind: Rollout\nmetadata:\n  name: r\n') }, at: 'policies/p.yaml:2:1', message: /unknown gitfed kind "Rollout"/ },
  { name: 'unknown cluster in a Placement', files: { 'manifests/s.yaml': SERVICE(), 'policies/p.yaml': policy('kind: Placement\nmetadata:\n  name: p\nspec:\n  resources: [{ kind: Service, name: web }]\n  clusters: { names: [a, mars] }\n') }, at: 'policies/p.yaml:7:26', message: /cluster "mars", which is not registered/ },
  { name: 'unknown cluster in an Override (block list)', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: Service, name: web }]\n  clusters:\n    names:\n      - a\n      - venus\n  patches: []\n') }, at: 'policies/o.yaml:10:9', message: /cluster "venus", which is not registered/ },
  { name: 'a nodePort that is not an integer', files: { 'manifests/s.yaml': SERVICE('\n      nodePort: "30080"') }, at: 'manifests/s.yaml:11:7', message: /nodePort must be a whole number 1-65535 \(unquoted\), got "30080"/ },
  { name: 'a fractional nodePort', files: { 'manifests/s.yaml': SERVICE('\n      nodePort: 30080.5') }, at: 'manifests/s.yaml:11:7', message: /nodePort must be a whole number/ },
  { name: 'a kind that is a path (Foo/../../x)', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: Foo/../../x\nmetadata:\n  name: x\n' }, at: 'manifests/a.yaml:2:1', message: /kind "Foo\/..\/..\/x" is not a kind/ },
  { name: 'an apiVersion that is not group/version', files: { 'manifests/a.yaml': 'apiVersion: ../v1\nkind: ConfigMap\nmetadata:\n  name: x\n' }, at: 'manifests/a.yaml:1:1', message: /apiVersion "..\/v1" is not group\/version/ },
  { name: 'a name that is a path (../../x)', files: { 'manifests/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../x\n' }, at: 'manifests/a.yaml:4:3', message: /"..\/..\/x" is not a valid name/ },
  { name: 'a ClusterRole name that is a path', files: { 'manifests/a.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ../x\n' }, at: 'manifests/a.yaml:4:3', message: /may not be "." or "..", contain "\/"/ },
  { name: 'an Override renaming a ConfigMap into kube-system/ingress-uid', files: { 'manifests/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: innocent\n  namespace: shop\ndata: { uid: evil }\n', 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: innocent }]\n  patches:\n    - { op: replace, path: /metadata/name, value: ingress-uid }\n    - { op: replace, path: /metadata/namespace, value: kube-system }\n') }, at: 'policies/o.yaml:8:7', message: /may not rename an object/ },
  { name: 'an Override moving an object to another namespace', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: add, path: /metadata/namespace, value: kube-system }\n') }, at: 'policies/o.yaml:8:7', message: /may not move an object to another namespace/ },
  { name: 'an Override changing kind', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: replace, path: /kind, value: Secret }\n') }, at: 'policies/o.yaml:8:7', message: /may not change kind/ },
  { name: 'an Override changing apiVersion', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: replace, path: /apiVersion, value: v2 }\n') }, at: 'policies/o.yaml:8:7', message: /may not change apiVersion/ },
  { name: 'an Override moving a name into place (move from)', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: move, from: /data/x, path: /metadata/name }\n') }, at: 'policies/o.yaml:8:7', message: /may not rename/ },
  { name: 'an Override replacing the whole metadata', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: replace, path: /metadata, value: { name: c } }\n') }, at: 'policies/o.yaml:8:7', message: /may not rename/ },
  { name: 'an Override taking the object into another fleet', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: replace, path: /metadata/labels/gitfed.io~1fleet, value: other }\n') }, at: 'policies/o.yaml:8:7', message: /gitfed.io\/ labels are gitfed's ownership marks/ },
  { name: 'an Override removing the managed-by label', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: remove, path: /metadata/labels/app.kubernetes.io~1managed-by }\n') }, at: 'policies/o.yaml:8:7', message: /managed-by label is gitfed's ownership mark/ },
  { name: 'an Override replacing all labels', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: replace, path: /metadata/labels, value: {} }\n') }, at: 'policies/o.yaml:8:7', message: /ownership mark/ },
  { name: 'an Override adding to __proto__', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - op: add\n      path: /data/__proto__\n      value: { polluted: "yes" }\n') }, at: 'policies/o.yaml:9:7', message: /"__proto__" may not appear in a path/ },
  { name: 'an Override writing a gitfed.io annotation', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: ConfigMap, name: c }]\n  patches:\n    - { op: add, path: /metadata/annotations/gitfed.io~1prune, value: "false" }\n') }, at: 'policies/o.yaml:8:7', message: /gitfed.io\/ annotations are gitfed's own/ },
  { name: 'nodePort outside the range', files: { 'manifests/s.yaml': SERVICE('\n      nodePort: 40000'), 'policies/p.yaml': policy('kind: NodePortPolicy\nmetadata:\n  name: p\nspec:\n  range: "30000-32767"\n') }, at: 'manifests/s.yaml:11:7', message: /nodePort 40000 is outside the node-port range 30000-32767/ },
  { name: 'nodePort reserved', files: { 'manifests/s.yaml': SERVICE('\n      nodePort: 30050'), 'policies/p.yaml': policy('kind: NodePortPolicy\nmetadata:\n  name: p\nspec:\n  reserved: ["30000-30099"]\n') }, at: 'manifests/s.yaml:11:7', message: /is reserved by NodePortPolicy p/ },
  { name: 'two Services wanting one nodePort', files: { 'manifests/s.yaml': SERVICE('\n      nodePort: 30050'), 'manifests/t.yaml': SERVICE('\n      nodePort: 30050').replace('name: web', 'name: api') }, at: 'manifests/t.yaml:11:7', message: /also wanted by Service shop\/web at manifests\/s.yaml:11/ },
  { name: 'an Ingress whose backend Service is missing', files: { 'manifests/i.yaml': 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  defaultBackend:\n    service:\n      name: ghost\n      port: { number: 80 }\n' }, at: 'manifests/i.yaml:9:7', message: /routes to Service shop\/ghost, which is not in the fleet/ },
  { name: 'an Ingress whose backend Service is ClusterIP', files: { 'manifests/s.yaml': SERVICE().replace('NodePort', 'ClusterIP'), 'manifests/i.yaml': 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  defaultBackend:\n    service:\n      name: web\n      port: { number: 80 }\n' }, at: 'manifests/s.yaml:7:3', message: /is of type ClusterIP; GLBC needs type NodePort/ },
  { name: 'malformed preferences JSON', files: { 'manifests/d.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    federation.kubernetes.io/deployment-preferences: "{not json"\nspec: { replicas: 3 }\n' }, at: 'manifests/d.yaml:6:5', message: /preferences are not valid JSON/ },
  { name: 'min greater than max', files: { 'manifests/d.yaml': 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: d\n  annotations:\n    federation.kubernetes.io/replica-set-preferences: \'{"clusters": {"a": {"minReplicas": 5, "maxReplicas": 2}}}\'\nspec: { replicas: 3 }\n' }, at: 'manifests/d.yaml:6:5', message: /minReplicas 5 is greater than maxReplicas 2/ },
  { name: 'negative weight in a Placement', files: { 'policies/p.yaml': policy('kind: Placement\nmetadata:\n  name: p\nspec:\n  selector: { matchLabels: { app: web } }\n  replicas:\n    clusters:\n      "*": { weight: -1 }\n') }, at: 'policies/p.yaml:7:3', message: /weight must be a whole number >= 0, got -1/ },
  { name: 'bad cluster-selector annotation', files: { 'manifests/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    federation.alpha.kubernetes.io/cluster-selector: \'[{"key": "env", "operator": "Near", "values": ["x"]}]\'\n' }, at: 'manifests/c.yaml:6:5', message: /unknown operator "Near"/ },
  { name: 'an Override of an enforced field', files: { 'manifests/s.yaml': SERVICE(), 'manifests/i.yaml': 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    kubernetes.io/ingress.global-static-ip-name: ip\nspec:\n  defaultBackend:\n    service:\n      name: web\n      port: { number: 80 }\n', 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: Ingress, name: web }]\n  patches:\n    - op: remove\n      path: /metadata/annotations/kubernetes.io~1ingress.global-static-ip-name\n') }, at: 'policies/o.yaml:8:7', message: /which gitfed enforces: the static-IP annotation/ },
  { name: 'a bad patch operation', files: { 'policies/o.yaml': policy('kind: Override\nmetadata:\n  name: o\nspec:\n  resources: [{ kind: Service, name: web }]\n  patches:\n    - op: frobnicate\n      path: /spec\n') }, at: 'policies/o.yaml:8:7', message: /"op" must be one of add, remove, replace/ },
  { name: 'an unknown gitfed apiVersion', files: { 'policies/p.yaml': 'apiVersion: gitfed.io/v2\nkind: Placement\nmetadata:\n  name: p\n' }, at: 'policies/p.yaml:1:1', message: /unknown apiVersion "gitfed.io\/v2"/ },
  { name: 'a label value that is not a string', files: { 'manifests/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    replicas: 3\n' }, at: 'manifests/c.yaml:6:5', message: /must be a string \(quote numbers/ },
  { name: 'an object denied by Fleet spec.resources.deny', files: { 'policies/fleet.yaml': policy('kind: Fleet\nmetadata:\n  name: f\nspec:\n  resources:\n    deny:\n      - { group: "", kind: Secret }\n'), 'manifests/s.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: shop\n' }, at: 'manifests/s.yaml:1:1', message: /Secret shop\/token is denied by Fleet f spec.resources.deny \{group: "", kind: "Secret"\} \(policies\/fleet.yaml:8\)/ },
  { name: 'an object outside Fleet spec.resources.allow (another namespace)', files: { 'policies/fleet.yaml': policy('kind: Fleet\nmetadata:\n  name: f\nspec:\n  resources:\n    allow:\n      - { namespace: "shop*" }\n'), 'manifests/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop-eu\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n' }, at: 'manifests/c.yaml:7:1', message: /ConfigMap kube-system\/coredns \(group ""\) matches no rule of Fleet f spec.resources.allow/ },
  { name: 'a cluster-scoped object outside a namespace-only allow list', files: { 'policies/fleet.yaml': policy('kind: Fleet\nmetadata:\n  name: f\nspec:\n  resources:\n    allow: [{ namespace: shop }]\n'), 'manifests/r.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: take-over\n' }, at: 'manifests/r.yaml:1:1', message: /ClusterRoleBinding take-over \(group "rbac.authorization.k8s.io"\) matches no rule/ },
  { name: 'a malformed Fleet resource rule', files: { 'policies/fleet.yaml': policy('kind: Fleet\nmetadata:\n  name: f\nspec:\n  resources:\n    allow:\n      - { knd: Secret }\n') }, at: 'policies/fleet.yaml:8:11', message: /unknown field "knd"; expected group, kind, namespace/ },
  { name: 'two GCE clusters in one project and zone', files: { 'clusters/c.yaml': 'apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: c\nspec:\n  gce: { project: p, zone: z1 }\n' }, at: 'clusters/c.yaml:1:1', message: /both in GCE project p zone z1/ },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, async () => {
    const root = await fleetDir(c.files, c.setup);
    const errors = await validate(root);
    assert.ok(errors.length > 0, 'an error is reported');
    const lines = errors.map(formatFinding);
    const hit = errors.find((e) => c.message.test(e.message));
    assert.ok(hit, `no error matches ${c.message}; got:\n${lines.join('\n')}`);
    assert.equal(formatFinding(hit).split(': ')[0], c.at, lines.join('\n'));
  });
}

test('bad input: an empty fleet is valid and renders nothing', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gitfed-load-'));
  roots.push(root);
  const loaded = await loadFleetDir(root);
  assert.deepEqual(loaded.findings, []);
  const r = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations() });
  assert.deepEqual(r.clusters, []);
});

test('bad input: a 1 MB manifest file loads quickly and correctly', async () => {
  const docs = Array.from({ length: 2000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: big\ndata:\n  payload: "${'v'.repeat(500)}"\n`);
  const text = docs.join('---\n');
  assert.ok(text.length > 1_000_000);
  const root = await fleetDir({ 'manifests/big.yaml': text });
  const t0 = performance.now();
  const loaded = await loadFleetDir(root);
  const ms = performance.now() - t0;
  assert.deepEqual(loaded.findings, []);
  assert.equal(loaded.fleet.manifests.length, 2000);
  assert.equal(loaded.fleet.manifests[1999]!.place.line, 1999 * 8 + 1);
  console.log(`# loaded a ${(text.length / 1e6).toFixed(1)} MB file with 2000 objects in ${ms.toFixed(0)} ms`);
});

test('bad input: symlinks inside the fleet root are followed', async () => {
  const root = await fleetDir({ 'shared/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n' }, async (r) => {
    await mkdir(join(r, 'manifests'), { recursive: true });
    await symlink(join(r, 'shared', 'cm.yaml'), join(r, 'manifests', 'cm.yaml'));
  });
  const loaded = await loadFleetDir(root);
  assert.deepEqual(loaded.findings, []);
  assert.deepEqual(loaded.fleet.manifests.map((m) => m.object.metadata.name), ['shared']);
});

test('input users really write: files of comments and empty documents (`---` with nothing after) are skipped, as kubectl does', async () => {
  const root = await fleetDir({
    'manifests/comments.yaml': '# generated by a chart\n# nothing to apply here\n',
    'manifests/empty.yaml': '',
    'manifests/dashes.yaml': '---\n---\n',
    'manifests/helm.yaml': '---\n# Source: chart/templates/unused.yaml\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: shop\n---\n',
  });
  const loaded = await loadFleetDir(root);
  assert.deepEqual(loaded.findings.map(formatFinding), []);
  assert.deepEqual(loaded.fleet.manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}@${m.place.line}`), ['ConfigMap/cm@4']);
});

test('input users really write: NodePortPolicy reserved takes a quoted single port as well as numbers and ranges', async () => {
  const root = await fleetDir({ 'policies/p.yaml': policy('kind: NodePortPolicy\nmetadata:\n  name: p\nspec:\n  reserved: ["30080", 30081, "31000-31099"]\n') });
  const loaded = await loadFleetDir(root);
  assert.deepEqual(loaded.findings.map(formatFinding), []);
  assert.deepEqual(loaded.fleet.nodePortPolicy?.reserved, [[30080, 30080], [30081, 30081], [31000, 31099]]);
  const bad = await fleetDir({ 'policies/p.yaml': policy('kind: NodePortPolicy\nmetadata:\n  name: p\nspec:\n  reserved: ["70000"]\n') });
  assert.match((await loadFleetDir(bad)).findings.map(formatFinding).join('\n'), /policies\/p.yaml:6:14: error: .*must be a port 1-65535, got 70000/);
});

test('input users really write: Fleet spec.resources allow/deny admit what they list (a Namespace by its own name)', async () => {
  const root = await fleetDir({
    'policies/fleet.yaml': policy('kind: Fleet\nmetadata:\n  name: f\nspec:\n  resources:\n    allow:\n      - { namespace: "shop*" }\n      - { group: apps, kind: "*" }\n    deny:\n      - { kind: Secret, namespace: shop-secrets }\n'),
    'manifests/ok.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-eu\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop-eu\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: anywhere\nspec: { replicas: 1 }\n',
  });
  assert.deepEqual((await validate(root)).map(formatFinding), []);
});
