// What `gitfed bootstrap` installs (pure: options in, objects out).
// Member clusters: a ServiceAccount with only the rights gitfed uses there,
// and a long-lived token for it. Host cluster: deploy/gitfed.yaml (the
// operator's Namespace, ServiceAccount, Lease RBAC, Service, Deployment) plus
// the Secrets it reads: git credentials, the member kubeconfig (only the
// member contexts, with those tokens) and the webhook secret.
import { stringify } from 'yaml';
import type { KubeObject } from '../core/model.js';
import { NEEDED_PERMISSIONS } from './doctor-checks.js';
import { PRUNE_KINDS } from './observe.js';

export const INSTALL_NAMESPACE = 'gitfed-system';
export const INSTALL_SA = 'gitfed';
export const INSTALL_FIELD_MANAGER = 'gitfed-bootstrap';
/** Everything bootstrap creates carries this label; uninstall deletes only what does. */
export const INSTALLED_BY = { 'app.kubernetes.io/managed-by': 'gitfed-bootstrap', 'app.kubernetes.io/part-of': 'gitfed' };
export const MEMBER_ROLE = 'gitfed-member';
export const MEMBER_TOKEN_SECRET = 'gitfed-member-token';
export const MEMBER_KUBECONFIG_SECRET = 'gitfed-member-kubeconfig';
export const GIT_SECRET = 'gitfed-git';
/** The age key for SOPS-encrypted Secrets (deploy/gitfed.yaml mounts it, optional). */
export const AGE_KEY_SECRET = 'gitfed-age-key';
export const WEBHOOK_SECRET = 'gitfed-webhook';
/** The context the Deployment's --lease-context names: the Pod's own ServiceAccount. */
export const IN_CLUSTER_CONTEXT = 'in-cluster';

const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), labels: { ...INSTALLED_BY } });
const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * The member ClusterRole. What gitfed does in a member cluster, as `gitfed
 * doctor` checks it (NEEDED_PERMISSIONS), plus what the operator's loop needs
 * on top: watch where it lists (its watch caches), and list/watch/delete of
 * the kinds it looks through for objects it owns and prunes (PRUNE_KINDS).
 */
export function memberRules(): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  const byResource = new Map<string, { group: string; resource: string; verbs: Set<string> }>();
  const add = (group: string, resource: string, verbs: string[]) => {
    const key = `${group}/${resource}`;
    const entry = byResource.get(key) ?? { group, resource, verbs: new Set<string>() };
    for (const v of verbs) entry.verbs.add(v);
    byResource.set(key, entry);
  };
  for (const [group, resource, verbs] of NEEDED_PERMISSIONS) add(group, resource, verbs.includes('list') ? [...verbs, 'watch'] : verbs);
  for (const [apiVersion, kind] of PRUNE_KINDS) {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    add(group, `${kind.toLowerCase()}s`, ['list', 'watch', 'delete']);
  }
  const order = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
  return [...byResource.values()]
    .sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource))
    .map((e) => ({ apiGroups: [e.group], resources: [e.resource], verbs: order.filter((v) => e.verbs.has(v)) }));
}

/** Objects in each member cluster, in apply order. */
export function memberObjects(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(INSTALL_NAMESPACE) },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(INSTALL_SA, INSTALL_NAMESPACE) },
    // A token Secret, not a TokenRequest: the token does not expire and a
    // second bootstrap finds the same one (nothing changes); uninstall revokes it.
    { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { ...meta(MEMBER_TOKEN_SECRET, INSTALL_NAMESPACE), annotations: { 'kubernetes.io/service-account.name': INSTALL_SA } } } as KubeObject,
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(MEMBER_ROLE), rules: memberRules() } as KubeObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(MEMBER_ROLE),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: MEMBER_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: INSTALL_SA, namespace: INSTALL_NAMESPACE }],
    } as KubeObject,
  ];
}

export interface MemberAccess {
  context: string;
  server: string;
  /** PEM of the CA the admin's kubeconfig trusts for this server. */
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  token: string;
}

/** The operator's kubeconfig: one context per member (same names as the admin's), plus the in-cluster one for the Lease. */
export function memberKubeconfig(members: MemberAccess[]): string {
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': IN_CLUSTER_CONTEXT,
    clusters: [
      ...members.map((m) => ({ name: m.context, cluster: { server: m.server, ...(m.ca ? { 'certificate-authority-data': b64(m.ca) } : {}), ...(m.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}) } })),
      { name: IN_CLUSTER_CONTEXT, cluster: { server: 'https://kubernetes.default.svc', 'certificate-authority': `${sa}/ca.crt` } },
    ],
    users: [
      ...members.map((m) => ({ name: `${m.context}-gitfed`, user: { token: m.token } })),
      // How @kubernetes/client-node itself describes the in-cluster user: the
      // token file is read when a request is made (and again when the kubelet
      // rotates it), not when the kubeconfig is loaded outside a Pod.
      { name: IN_CLUSTER_CONTEXT, user: { 'auth-provider': { name: 'tokenFile', config: { tokenFile: `${sa}/token` } } } },
    ],
    contexts: [
      ...members.map((m) => ({ name: m.context, context: { cluster: m.context, user: `${m.context}-gitfed` } })),
      { name: IN_CLUSTER_CONTEXT, context: { cluster: IN_CLUSTER_CONTEXT, user: IN_CLUSTER_CONTEXT, namespace: INSTALL_NAMESPACE } },
    ],
  });
}

export interface HostOptions {
  /** deploy/gitfed.yaml's documents. */
  deploy: KubeObject[];
  repo: string;
  branch: string;
  image?: string;
  git?: { username: string; password: string };
  memberKubeconfig: string;
  webhookSecret: string;
  /** Content of an age key file (keys.txt), when given. */
  ageKey?: string;
}

/** Objects in the host cluster, in apply order. */
export function hostObjects(o: HostOptions): KubeObject[] {
  const labelled = o.deploy.map((d) => {
    const copy = structuredClone(d);
    copy.metadata.labels = { ...copy.metadata.labels, ...INSTALLED_BY };
    return copy;
  });
  const secret = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: meta(name, INSTALL_NAMESPACE), data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) } as KubeObject);
  const secrets = [
    ...(o.git ? [secret(GIT_SECRET, { username: o.git.username, password: o.git.password })] : []),
    secret(MEMBER_KUBECONFIG_SECRET, { kubeconfig: o.memberKubeconfig }),
    secret(WEBHOOK_SECRET, { secret: o.webhookSecret }),
    ...(o.ageKey !== undefined ? [secret(AGE_KEY_SECRET, { 'keys.txt': o.ageKey })] : []),
  ];
  const out: KubeObject[] = [];
  for (const obj of labelled) {
    if (obj.kind === 'Deployment') {
      out.push(...secrets);
      out.push(configureDeployment(obj, o));
    } else out.push(obj);
  }
  return out;
}

function configureDeployment(dep: KubeObject, o: HostOptions): KubeObject {
  const container = (dep as any).spec.template.spec.containers[0];
  if (o.image) container.image = o.image;
  container.args = container.args.map((a: string) => (a.startsWith('--branch=') ? `--branch=${o.branch}` : a));
  container.env = container.env
    .map((e: any) => (e.name === 'GITFED_REPO' ? { name: e.name, value: o.repo } : e))
    // A public repository needs no credentials: no reference to a Secret that does not exist.
    .filter((e: any) => o.git || e.valueFrom?.secretKeyRef?.name !== GIT_SECRET);
  return dep;
}
