// Node ports a cluster refused: read from the apiserver's answer, remembered
// for as long as the apiserver may hold a leaked reservation, then forgotten.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterResult } from '../../operator/cluster/reconcile-types.js';
import { expireRefusals, recordRefusals, refusalFindings, REFUSED_PORT_TTL_MS, withRefusals, type RefusedNodePorts } from '../../operator/cluster/refused-node-ports.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { keptPorts } from '../../operator/core/node-ports.js';
import { fleet, observed, service } from '../helpers/fleet-builder.js';

// As gitfed's apply reports a 422 from a real apiserver (see the sandbox test of it).
const refusal = (cluster: string, port: number) => `${cluster} Service web/nginx: HTTP 422: Service "nginx" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`;
const result = (cluster: string, objects: ClusterResult['objects']): Pick<ClusterResult, 'cluster' | 'objects'> => ({ cluster, objects });
const svcRef = { apiVersion: 'v1', kind: 'Service', namespace: 'web', name: 'nginx' };
const none = () => false;

test('refused node ports: only a Service the apiserver refused for an allocated node port counts', () => {
  const refused: RefusedNodePorts = new Map();
  const fresh = recordRefusals(refused, [
    result('a', [{ ref: svcRef, action: 'failed', error: refusal('a', 30005) }]),
    result('b', [
      { ref: svcRef, action: 'failed', error: 'b Service web/nginx: HTTP 422: Service "nginx" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range' },
      { ref: { ...svcRef, kind: 'ConfigMap' }, action: 'failed', error: refusal('b', 30006) },
      { ref: svcRef, action: 'created' },
    ]),
  ], none, 1000);
  assert.equal(fresh, 1);
  assert.deepEqual([...refused.keys()], ['a']);
  assert.deepEqual([...refused.get('a')!], [[30005, { at: 1000, service: 'web/nginx', allocated: false }]]);
  assert.equal(recordRefusals(refused, [result('a', [{ ref: svcRef, action: 'failed', error: refusal('a', 30005) }])], none, 2000), 0, 'a refusal already known is not new (no further pass)');
  assert.equal(refused.get('a')!.get(30005)!.at, 2000, 'but it is remembered from its latest sighting');
});

test('refused node ports: forgotten once the apiserver has surely freed a leaked reservation', () => {
  const refused: RefusedNodePorts = new Map([['a', new Map([[30005, { at: 0, service: 'web/nginx', allocated: false }], [30006, { at: 1000, service: 'web/nginx', allocated: false }]])]]);
  expireRefusals(refused, REFUSED_PORT_TTL_MS - 1);
  assert.deepEqual([...refused.get('a')!.keys()], [30005, 30006]);
  expireRefusals(refused, REFUSED_PORT_TTL_MS);
  assert.deepEqual([...refused.get('a')!.keys()], [30006]);
  expireRefusals(refused, REFUSED_PORT_TTL_MS + 1000);
  assert.equal(refused.has('a'), false);
});

test('refused node ports: added to that cluster\'s observation as held, without touching the observed one', () => {
  const refused: RefusedNodePorts = new Map([['a', new Map([[30005, { at: 0, service: 'web/nginx', allocated: false }]])]]);
  const o = observed({ nodePorts: [{ port: 30001, namespace: 'x', service: 'y' }] });
  const a = withRefusals('a', o, refused);
  assert.deepEqual(a.nodePorts, [{ port: 30001, namespace: 'x', service: 'y' }, { port: 30005, namespace: '', service: '', refused: true }]);
  assert.equal(o.nodePorts.length, 1);
  assert.equal(withRefusals('b', o, refused), o);
  const findings = refusalFindings(refused, new Set(['a']));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.code, 'NodePortRefused');
  assert.deepEqual(findings[0]!.object, svcRef);
  assert.match(findings[0]!.message, /cluster a refused node port 30005 for Service web\/nginx.*picks ports other than 30005/);
  assert.deepEqual(refusalFindings(refused, new Set(['b'])), [], 'only for the clusters in the result');
});

test('refused node ports: a port pinned in Git or allocated before is kept (no new pass), and the status says so', () => {
  const kept = keptPorts(fleet({ manifests: [service('pinned', { nodePort: 30007 })] }), { ...emptyAllocations(), nodePorts: { 'web/nginx': { http: 30005 } } });
  assert.equal(kept('web/nginx', 30005), true, 'allocated before');
  assert.equal(kept('web/nginx', 30006), false);
  assert.equal(kept('web/pinned', 30007), true, 'pinned in Git');
  assert.equal(kept('other/pinned', 30007), false, 'another namespace');
  const refused: RefusedNodePorts = new Map();
  assert.equal(recordRefusals(refused, [result('a', [{ ref: svcRef, action: 'failed', error: refusal('a', 30005) }])], kept, 0), 0);
  assert.equal(refused.get('a')!.get(30005)!.allocated, true);
  assert.match(refusalFindings(refused, new Set(['a']))[0]!.message, /keeps port 30005.*until the apiserver frees it/);
});
