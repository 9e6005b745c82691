// Diff on plain objects: server defaults are not drift; real changes are, with their manager.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffObject, formatPath, managerOf, ownedMapPaths } from '../../operator/core/diff.js';

const desired = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { a: '1' } }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] } };
const live = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { a: '1' }, uid: 'x', resourceVersion: '5', managedFields: [
    { manager: 'gitfed', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:a': {}, 'f:old': {} } }, 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:nodePort': {} } } } } },
    { manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:spec': { 'f:type': {} } } },
  ] },
  spec: { type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30001, protocol: 'TCP', targetPort: 80 }] },
  status: { loadBalancer: {} },
};

test('diff: server defaults and extra live fields are not differences', () => {
  assert.deepEqual(diffObject(desired, live), []);
});

test('diff: a changed field is reported with Git and live values', () => {
  const changed = structuredClone(live);
  changed.spec.ports[0]!.nodePort = 31999;
  assert.deepEqual(diffObject(desired, changed).map((d) => [formatPath(d.path), d.want, d.have]), [['spec.ports[0].nodePort', 30001, 31999]]);
});

test('diff: a field gitfed applied before and Git dropped counts (SSA would remove it)', () => {
  const withOld = structuredClone(live);
  (withOld.metadata.labels as Record<string, string>).old = 'x';
  const owned = ownedMapPaths(withOld.metadata.managedFields, 'gitfed');
  assert.deepEqual(diffObject(desired, withOld, owned).map((d) => formatPath(d.path)), ['metadata.labels.old']);
});

test('diff: managerOf names who owns a field, including list items by key', () => {
  assert.equal(managerOf(live, ['spec', 'type']), 'kubectl-edit');
  assert.equal(managerOf(live, ['spec', 'ports', 0, 'nodePort']), 'gitfed');
});

test('diff: numbers and their string forms are equal (quantities, int-or-string)', () => {
  assert.deepEqual(diffObject({ spec: { cpu: 1 } }, { spec: { cpu: '1' } }), []);
});
