// Observations that failed. An empty list from a failed LIST looks exactly
// like "nothing there", which is how a cluster with Ingresses once got its
// GLBC uid overwritten. So a failed part blocks every object whose safety
// depends on it, in that cluster only, with the error.
import type { ClusterSpec, Finding, ObservationFailures, Observations } from './model.js';
import { ownValue } from './own-value.js';

const WHAT: Record<keyof ObservationFailures, string> = {
  nodePorts: 'node ports (Services)',
  ingressUid: 'ConfigMap kube-system/ingress-uid',
  ingresses: 'Ingresses',
  workloads: 'workloads',
};

/**
 * The first failed part among `parts` for this cluster, as a blocking finding
 * ("could not observe <what>: <error>"), or undefined when all were observed.
 */
export function observationGap(cluster: ClusterSpec, obs: Observations, parts: ReadonlyArray<keyof ObservationFailures>, blocks: string): Finding | undefined {
  const failed = ownValue(obs, cluster.name)?.failed;
  if (!failed) return undefined;
  const part = parts.find((p) => failed[p] !== undefined);
  if (!part) return undefined;
  return {
    severity: 'error', code: 'ObservationFailed', cluster: cluster.name, place: cluster.place,
    message: `cluster ${cluster.name}: could not observe ${WHAT[part]}: ${failed[part]}; gitfed does not write ${blocks} there until it can (writing blind could break live load balancers)`,
  };
}
