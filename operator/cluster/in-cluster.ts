// Is a kubeconfig context the operator's own in-cluster identity? A fleet
// that lists the cluster gitfed runs in (with gitfed's own service account)
// lets a Git author change gitfed's own Deployment, RBAC and Secrets, so such
// a context is refused unless the operator is started with --allow-in-cluster.
//
// Detected the ways a Pod reaches its own apiserver: the in-cluster service
// name (kubernetes.default.svc...), the KUBERNETES_SERVICE_HOST:PORT address
// Kubernetes injects into every Pod, or the Pod's own service-account token.
import { readFileSync } from 'node:fs';
import type { KubeEndpoint } from './kube-types.js';

export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const IN_CLUSTER_HOSTS = /^kubernetes(\.default(\.svc(\..+)?)?)?$/;

export interface InClusterEnv {
  env: NodeJS.ProcessEnv;
  /** The Pod's own service-account token, when running in a Pod. */
  serviceAccountToken?: string;
}

export function podEnvironment(env: NodeJS.ProcessEnv = process.env): InClusterEnv {
  let token: string | undefined;
  try { token = readFileSync(SERVICE_ACCOUNT_TOKEN_PATH, 'utf8').trim(); } catch { token = undefined; }
  return { env, ...(token ? { serviceAccountToken: token } : {}) };
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** Why this endpoint is the operator's own in-cluster identity, or undefined. */
export function inClusterReason(endpoint: KubeEndpoint, pod: InClusterEnv): string | undefined {
  let url: URL;
  try { url = new URL(endpoint.server); } catch { return undefined; }
  const host = bare(url.hostname);
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  if (IN_CLUSTER_HOSTS.test(host)) return `its server ${endpoint.server} is the in-cluster service address`;
  const svcHost = pod.env.KUBERNETES_SERVICE_HOST;
  if (svcHost && bare(svcHost) === host && (pod.env.KUBERNETES_SERVICE_PORT ?? '443') === port) {
    return `its server ${endpoint.server} is this Pod's KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT`;
  }
  const auth = endpoint.headers?.Authorization ?? endpoint.headers?.authorization;
  if (pod.serviceAccountToken && (auth === `Bearer ${pod.serviceAccountToken}` || endpoint.token === pod.serviceAccountToken)) {
    return 'it uses this Pod\'s own service-account token';
  }
  return undefined;
}
