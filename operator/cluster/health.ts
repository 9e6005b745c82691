// Cluster health as Federation v1 defined it: /readyz (then /healthz) says
// "ok" -> Ready; answers but not ok -> NotReady; no answer -> Offline.
// 401/403 is its own verdict: the cluster is up but gitfed may not talk to it.
import type { ClusterHealth } from '../core/model.js';
import { KubeCredentialError, KubeHttp, KubeUnreachableError } from './kube-http.js';

export interface HealthProbe {
  health: ClusterHealth;
  reason: 'ClusterReady' | 'ClusterNotReady' | 'ClusterNotReachable' | 'Unauthorized' | 'NoKubeconfig';
  message: string;
}

export async function probeHealth(http: KubeHttp, timeoutMs = 3000): Promise<HealthProbe> {
  try {
    let r = await http.request({ path: '/readyz', timeoutMs });
    if (r.status === 404) r = await http.request({ path: '/healthz', timeoutMs });
    if (r.status === 401 || r.status === 403) {
      return { health: 'Unknown', reason: 'Unauthorized', message: `the apiserver refused gitfed's credentials (HTTP ${r.status}); check the kubeconfig user of this context` };
    }
    if (r.status === 200 && r.text.trim().endsWith('ok')) return { health: 'Ready', reason: 'ClusterReady', message: '/readyz is ok' };
    return { health: 'NotReady', reason: 'ClusterNotReady', message: `/readyz answered HTTP ${r.status}: ${r.text.split('\n').filter((l) => l.includes('[-]')).join(', ').slice(0, 200) || r.text.slice(0, 100)}` };
  } catch (e) {
    if (e instanceof KubeUnreachableError) return { health: 'Offline', reason: 'ClusterNotReachable', message: e.cause.message };
    if (e instanceof KubeCredentialError) return { health: 'Unknown', reason: 'Unauthorized', message: `gitfed has no credentials for this context: ${e.message}` };
    throw e;
  }
}

/** Keeps lastTransitionTime when the verdict did not change (clock passed in by the caller). */
export interface HealthCondition extends HealthProbe {
  lastTransitionTime: string;
}

export function nextCondition(prev: HealthCondition | undefined, probe: HealthProbe, now: string): HealthCondition {
  const changed = !prev || prev.health !== probe.health || prev.reason !== probe.reason;
  return { ...probe, lastTransitionTime: changed ? now : prev!.lastTransitionTime };
}
