// Cluster health as Federation v1 defined it: /readyz (then /healthz) says
// "ok" -> Ready; answers but not ok -> NotReady; no answer -> Offline.
// 401/403 is its own verdict: the cluster is up but gitfed may not talk to it.
import type { ClusterHealth } from '../core/model.js';
import { KubeHttp } from './kube-http.js';
import { KubeCredentialError, KubeUnreachableError } from './kube-types.js';

export interface HealthProbe {
  health: ClusterHealth;
  reason: 'ClusterReady' | 'ClusterNotReady' | 'ClusterNotReachable' | 'Unauthorized' | 'NoKubeconfig';
  message: string;
}

/**
 * One probe. A /readyz that does not answer within `timeoutMs` is asked once
 * more with twice the time before the verdict is Offline: a busy apiserver is
 * not a dead one, and an Offline verdict moves replicas away. A refused
 * connection is a clear answer and is not asked again. At most 3x timeoutMs.
 */
export async function probeHealth(http: KubeHttp, timeoutMs = 3000, onRequest?: () => void): Promise<HealthProbe> {
  let r = await probeOnce(http, timeoutMs, onRequest);
  if (r.timedOut) r = await probeOnce(http, timeoutMs * 2, onRequest);
  const { timedOut: _, ...probe } = r;
  return probe;
}

async function probeOnce(http: KubeHttp, timeoutMs: number, onRequest?: () => void): Promise<HealthProbe & { timedOut?: boolean }> {
  try {
    onRequest?.();
    let r = await http.request({ path: '/readyz', timeoutMs });
    if (r.status === 404) { onRequest?.(); r = await http.request({ path: '/healthz', timeoutMs }); }
    if (r.status === 401 || r.status === 403) {
      return { health: 'Unknown', reason: 'Unauthorized', message: `the apiserver refused gitfed's credentials (HTTP ${r.status}); check the kubeconfig user of this context` };
    }
    if (r.status === 200 && r.text.trim().endsWith('ok')) return { health: 'Ready', reason: 'ClusterReady', message: '/readyz is ok' };
    return { health: 'NotReady', reason: 'ClusterNotReady', message: `/readyz answered HTTP ${r.status}: ${r.text.split('\n').filter((l) => l.includes('[-]')).join(', ').slice(0, 200) || r.text.slice(0, 100)}` };
  } catch (e) {
    if (e instanceof KubeUnreachableError) return { health: 'Offline', reason: 'ClusterNotReachable', message: e.cause.message, ...(isTimeout(e) ? { timedOut: true } : {}) };
    if (e instanceof KubeCredentialError) return { health: 'Unknown', reason: 'Unauthorized', message: `gitfed has no credentials for this context: ${e.message}` };
    throw e;
  }
}

function isTimeout(e: KubeUnreachableError): boolean {
  return /^no answer within /.test(e.cause.message);
}

/** Keeps lastTransitionTime when the verdict did not change (clock passed in by the caller). */
export interface HealthCondition extends HealthProbe {
  lastTransitionTime: string;
}

export function nextCondition(prev: HealthCondition | undefined, probe: HealthProbe, now: string): HealthCondition {
  const changed = !prev || prev.health !== probe.health || prev.reason !== probe.reason;
  return { ...probe, lastTransitionTime: changed ? now : prev!.lastTransitionTime };
}
