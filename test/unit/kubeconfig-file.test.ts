// How gitfed reads a kubeconfig file: the fields it takes, YAML 1.2's core
// schema (a context named like a date stays a name), and the error a broken
// file gives (its line, as for every other file gitfed reads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubeconfig } from '../../operator/cluster/kubeconfig-file.js';

const twoClusters = `apiVersion: v1
kind: Config
current-context: 2024-01-01
clusters:
- name: 2024-01-01
  cluster:
    server: https://203.0.113.10:6443/
    certificate-authority-data: &ca LS0tLS1CRUdJTg==
- name: europe
  cluster:
    server: https://203.0.113.11:6443
    certificate-authority: certs/europe-ca.crt
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes.default
users:
- name: admin
  user:
    token: abc
    client-key: /etc/keys/admin.key
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: gke-gcloud-auth-plugin
      args: ["--verbose"]
contexts:
- name: 2024-01-01
  context: {cluster: 2024-01-01, user: admin}
- name: europe
  context:
    cluster: europe
    user: plugin
`;

test('a kubeconfig gives its clusters, users and contexts, with relative paths made absolute', () => {
  const kc = parseKubeconfig(twoClusters, '/home/me/.kube');
  assert.deepEqual(kc.clusters, [
    { name: '2024-01-01', server: 'https://203.0.113.10:6443', skipTLSVerify: false, caData: 'LS0tLS1CRUdJTg==' },
    { name: 'europe', server: 'https://203.0.113.11:6443', skipTLSVerify: true, caFile: '/home/me/.kube/certs/europe-ca.crt', tlsServerName: 'kubernetes.default' },
  ]);
  assert.deepEqual(kc.users[0], { name: 'admin', token: 'abc', keyFile: '/etc/keys/admin.key' });
  assert.equal(kc.users[1]!.exec?.command, 'gke-gcloud-auth-plugin');
  assert.deepEqual(kc.users[1]!.exec?.args, ['--verbose']);
  assert.deepEqual(kc.contexts, [{ name: '2024-01-01', cluster: '2024-01-01', user: 'admin' }, { name: 'europe', cluster: 'europe', user: 'plugin' }]);
  // A date-like name is a name (core schema), not a timestamp that would read as "name is missing".
  assert.equal(kc.currentContext, '2024-01-01');
});

test('an alias in a kubeconfig reads as the value it names', () => {
  const text = twoClusters.replace('    certificate-authority: certs/europe-ca.crt\n', '    certificate-authority-data: *ca\n');
  assert.equal(parseKubeconfig(text, '/').clusters[1]!.caData, 'LS0tLS1CRUdJTg==');
});

test('a broken kubeconfig names the line at fault', () => {
  const duplicate = twoClusters.replace('    token: abc\n', '    token: abc\n    token: def\n');
  assert.throws(() => parseKubeconfig(duplicate, '/'), (e: Error) => /unique/i.test(e.message) && /line 19\b/.test(e.message));
  const unclosed = twoClusters.replace('args: ["--verbose"]', 'args: ["--verbose"');
  assert.throws(() => parseKubeconfig(unclosed, '/'), (e: Error) => /line \d+/.test(e.message));
});

test('entries without what a kubeconfig needs are refused by their place', () => {
  assert.throws(() => parseKubeconfig('clusters:\n- name: a\n  cluster: {}\n', '/'), /clusters\[0\]\.cluster\.server is missing/);
  assert.throws(() => parseKubeconfig('contexts:\n- context: {cluster: a}\n', '/'), /contexts\[0\]\.name is missing/);
  assert.deepEqual(parseKubeconfig('', '/'), { clusters: [], users: [], contexts: [] });
});
