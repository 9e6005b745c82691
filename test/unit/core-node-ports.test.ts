// Shared node ports: one per federated Service port, free in ALL clusters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateNodePorts, type NodePortService } from '../../operator/core/node-ports.js';
import { emptyAllocations, type Allocations, type Observations } from '../../operator/core/model.js';
import { nodePortPolicy, observed, service, sourced } from '../helpers/fleet-builder.js';

const clusters = ['a', 'b', 'c'];
const svc = (nodePort?: number, name = 'nginx'): NodePortService => ({ source: sourced(service(name, nodePort ? { nodePort } : {})), key: `web/${name}`, clusters });
const policy = nodePortPolicy([30000, 30010], [[30000, 30001]]);
const held = (port: number, service: string, namespace = 'web') => ({ port, namespace, service });
const refused = (port: number) => ({ port, namespace: '', service: '', refused: true as const });
const prev = (port: number): Allocations => ({ ...emptyAllocations(), nodePorts: { 'web/nginx': { '80': port } } });

const cases: Array<{ name: string; svc: NodePortService; obs: Observations; prev?: Allocations; want?: number; error?: RegExp; warning?: RegExp }> = [
  { name: 'nothing observed: lowest port in range that is not reserved', svc: svc(), obs: {}, want: 30002 },
  { name: 'a port taken in ONE cluster is skipped for all', svc: svc(), obs: { b: observed({ nodePorts: [held(30002, 'other')] }) }, want: 30003 },
  { name: 'a port written in Git is enforced', svc: svc(30007), obs: {}, want: 30007 },
  { name: 'a Git port held by another Service is an error naming cluster and Service', svc: svc(30007), obs: { c: observed({ nodePorts: [held(30007, 'db', 'data')] }) }, error: /held by Service data\/db in cluster c/ },
  { name: 'the previous allocation is kept', svc: svc(), obs: {}, prev: prev(30009), want: 30009 },
  { name: 'a previous allocation someone else took moves to a free port', svc: svc(), obs: { a: observed({ nodePorts: [held(30009, 'other')] }) }, prev: prev(30009), want: 30002 },
  { name: 'the port the Service already holds everywhere is adopted', svc: svc(), obs: { a: observed({ nodePorts: [held(30005, 'nginx')] }), b: observed({ nodePorts: [held(30005, 'nginx')] }) }, want: 30005 },
  { name: 'ports that differ today: the common one wins and the others are told they move',
    svc: svc(), obs: { a: observed({ nodePorts: [held(30005, 'nginx')] }), b: observed({ nodePorts: [held(30005, 'nginx')] }), c: observed({ nodePorts: [held(30006, 'nginx')] }) },
    want: 30005, warning: /c moves from 30006 to 30005/ },
  { name: 'a held port that is taken elsewhere is not adopted', svc: svc(), obs: { a: observed({ nodePorts: [held(30005, 'nginx')] }), b: observed({ nodePorts: [held(30005, 'other')] }) }, want: 30002, warning: /a moves from 30005 to 30002/ },
  { name: 'a port one cluster refused though no Service holds it is avoided in every cluster', svc: svc(), obs: { b: observed({ nodePorts: [refused(30002)] }) }, want: 30003 },
  { name: 'a port chosen in this render moves off a port one cluster refused, and clusters that hold it already are told',
    svc: svc(), obs: { a: observed({ nodePorts: [held(30002, 'nginx')] }), c: observed({ nodePorts: [refused(30002)] }) }, want: 30003, warning: /a moves from 30002 to 30003/ },
  { name: 'the previous allocation stays, though a cluster refused it (moving it would move every load balancer backend; the apiserver frees it by itself)',
    svc: svc(), obs: { a: observed({ nodePorts: [held(30004, 'nginx')] }), c: observed({ nodePorts: [refused(30004)] }) }, prev: prev(30004), want: 30004 },
  { name: 'a port written in Git stays, though a cluster refused it (that cluster frees it by itself)', svc: svc(30007), obs: { a: observed({ nodePorts: [refused(30007)] }) }, want: 30007 },
  { name: 'no port free anywhere is an error', svc: svc(), obs: { a: observed({ nodePorts: Array.from({ length: 9 }, (_, i) => held(30002 + i, `s${i}`)) }) }, error: /no nodePort in 30000-30010 is free/ },
];

for (const c of cases) {
  test(`node ports: ${c.name}`, () => {
    const r = allocateNodePorts([c.svc], policy, c.obs, c.prev ?? emptyAllocations());
    if (c.error) {
      assert.match(r.failed.get('web/nginx')?.message ?? '', c.error);
      assert.equal(r.ports['web/nginx'], undefined);
      return;
    }
    assert.deepEqual(r.ports['web/nginx'], { '80': c.want });
    if (c.warning) assert.match(r.findings.map((f) => f.message).join('\n'), c.warning);
    else assert.deepEqual(r.findings, []);
  });
}

test('node ports: two Services never get the same port, and Git-pinned ports are avoided', () => {
  const pinned = svc(30002, 'pinned');
  const r = allocateNodePorts([svc(undefined, 'x'), svc(undefined, 'y'), pinned], policy, {}, emptyAllocations());
  assert.deepEqual(r.ports, { 'web/pinned': { '80': 30002 }, 'web/x': { '80': 30003 }, 'web/y': { '80': 30004 } });
});

test('node ports: a multi-port Service gets one node port per port, keyed by port name', () => {
  const multi: NodePortService = { source: sourced(service('m', { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] })), key: 'web/m', clusters };
  const r = allocateNodePorts([multi], policy, {}, emptyAllocations());
  assert.deepEqual(r.ports['web/m'], { http: 30002, https: 30003 });
});
