// Which kubeconfig contexts are gitfed's own in-cluster identity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inClusterReason } from '../../operator/cluster/in-cluster.js';

const pod = { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountToken: 'sa-token' };
const cases: Array<[string, { server: string; token?: string; headers?: Record<string, string> }, typeof pod | { env: NodeJS.ProcessEnv }, RegExp | undefined]> = [
  ['the in-cluster service name', { server: 'https://kubernetes.default.svc' }, { env: {} }, /in-cluster service address/],
  ['the service name with a port and the cluster domain', { server: 'https://kubernetes.default.svc.cluster.local:443' }, { env: {} }, /in-cluster service address/],
  ['the short service name', { server: 'https://kubernetes.default' }, { env: {} }, /in-cluster service address/],
  ['KUBERNETES_SERVICE_HOST:PORT', { server: 'https://10.96.0.1:443' }, pod, /KUBERNETES_SERVICE_HOST/],
  ['KUBERNETES_SERVICE_HOST, default port', { server: 'https://10.96.0.1' }, pod, /KUBERNETES_SERVICE_HOST/],
  ['an IPv6 service host', { server: 'https://[fd00::1]:443' }, { env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } }, /KUBERNETES_SERVICE_HOST/],
  ['the Pod\'s own token against an external address', { server: 'https://34.1.2.3', headers: { Authorization: 'Bearer sa-token' } }, pod, /own service-account token/],
  ['another cluster', { server: 'https://34.1.2.3', token: 'member-token' }, pod, undefined],
  ['the service host on another port', { server: 'https://10.96.0.1:6443' }, pod, undefined],
  ['a local apiserver when not in a Pod', { server: 'https://127.0.0.1:6443' }, { env: {} }, undefined],
  ['a name that merely starts with kubernetes', { server: 'https://kubernetes-prod.example.com' }, { env: {} }, undefined],
];

for (const [name, endpoint, env, want] of cases) {
  test(`in-cluster: ${name} -> ${want ? 'refused' : 'allowed'}`, () => {
    const why = inClusterReason(endpoint, env);
    if (want) assert.match(why ?? '', want);
    else assert.equal(why, undefined);
  });
}
