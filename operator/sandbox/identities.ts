// Who talks to a sandbox cluster: tokens for the admin, a restricted user,
// the controllers and each hollow node, and the kubeconfig files they use.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';

export interface Identity {
  user: string;
  token: string;
  groups: string[];
}

export const RESTRICTED_USER = 'gitfed-restricted';

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

export function clusterIdentities(nodes: string[]): { admin: Identity; restricted: Identity; controllerManager: Identity; scheduler: Identity; nodes: Identity[] } {
  return {
    admin: { user: 'gitfed-admin', token: newToken(), groups: ['system:masters'] },
    restricted: { user: RESTRICTED_USER, token: newToken(), groups: [] },
    controllerManager: { user: 'system:kube-controller-manager', token: newToken(), groups: [] },
    scheduler: { user: 'system:kube-scheduler', token: newToken(), groups: [] },
    nodes: nodes.map((n) => ({ user: `system:node:${n}`, token: newToken(), groups: ['system:nodes'] })),
  };
}

/** --token-auth-file lines: token,user,uid,"group1,group2" */
export function tokenFile(ids: Identity[]): string {
  return ids.map((i) => `${i.token},${i.user},${i.user},"${i.groups.join(',')}"`).join('\n') + '\n';
}

export function serviceAccountKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/** The CA is the second certificate in apiserver.crt (serving-cert.ts writes it so, as an apiserver that makes its own does). */
export function caFromServingChain(pem: string): string {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  return (certs[1] ?? certs[0] ?? '').trim() + '\n';
}

export interface KubeconfigEntry {
  context: string;
  server: string;
  ca: string;
  token: string;
  user: string;
}

export function kubeconfig(entries: KubeconfigEntry[], current?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: entries.map((e) => ({ name: e.context, cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.ca).toString('base64') } })),
    users: entries.map((e) => ({ name: `${e.context}-${e.user}`, user: { token: e.token } })),
    contexts: entries.map((e) => ({ name: e.context, context: { cluster: e.context, user: `${e.context}-${e.user}` } })),
    'current-context': current ?? entries[0]?.context ?? '',
  });
}
