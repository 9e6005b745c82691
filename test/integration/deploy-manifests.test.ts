// The deploy manifests are valid Kubernetes: a server-side dry run against a
// real apiserver accepts every object (and writes nothing).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Discovery } from '../../operator/cluster/discovery.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { startSandbox } from '../../operator/sandbox/index.js';

test('deploy/gitfed.yaml passes a server-side dry run on a real apiserver', async () => {
  const sb = await startSandbox({ clusters: 1, controllers: false });
  const c = sb.clusters[0]!;
  const http = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try {
    const docs = parseAllDocuments(await readFile('deploy/gitfed.yaml', 'utf8')).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['Namespace/gitfed-system', 'ServiceAccount/gitfed', 'Role/gitfed-leader-election', 'RoleBinding/gitfed-leader-election', 'Role/gitfed-shards', 'RoleBinding/gitfed-shards', 'Service/gitfed', 'Deployment/gitfed']);
    // Least privilege: get/update only the operator's own Lease (create cannot be limited by name).
    const rules = docs[2].rules as Array<{ verbs: string[]; resourceNames?: string[] }>;
    for (const r of rules) assert.ok(r.verbs.includes('create') ? !r.resourceNames && r.verbs.length === 1 : r.resourceNames?.join() === 'gitfed', JSON.stringify(r));
    // --shards: Leases and ConfigMaps of its own namespace, nothing else, and never delete (a release is an update).
    const shardRules = docs[4].rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    assert.deepEqual(shardRules.map((r) => `${r.apiGroups.join()}/${r.resources.join()}`).sort(), ['/configmaps', 'coordination.k8s.io/leases']);
    for (const r of shardRules) assert.ok(!r.verbs.includes('delete') && !r.verbs.includes('*'), JSON.stringify(r));
    assert.equal(docs[7].spec.template.spec.securityContext.seccompProfile.type, 'RuntimeDefault');
    const discovery = new Discovery(http);
    // The namespace must exist for the dry run of namespaced objects; create it for real first.
    assert.equal((await http.request({ method: 'POST', path: '/api/v1/namespaces', body: docs[0] })).status, 201);
    for (const d of docs.slice(1)) {
      const { object } = await discovery.paths(d);
      const r = await http.request({ method: 'PATCH', path: `${object}?fieldManager=gitfed-test&dryRun=All`, contentType: 'application/apply-patch+yaml', body: JSON.stringify(d) });
      assert.ok(r.status === 200 || r.status === 201, `${d.kind} ${d.metadata.name}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    assert.equal((await http.request({ path: '/apis/apps/v1/namespaces/gitfed-system/deployments/gitfed' })).status, 404, 'dry run wrote nothing');
  } finally {
    http.close();
    await sb.stop();
  }
});
