// Hazards GLBC's own code creates for a federated Ingress, as doctor checks.
// Newer GLBC (ingress-gce with --enable-v2-frontend-namer, the GKE default
// for new Ingresses) names the front end (URL map, target proxy, forwarding
// rule: k8s2-...) from each cluster's kube-system namespace UID, not from
// kube-system/ingress-uid, and marks such an Ingress with the finalizer
// networking.gke.io/ingress-finalizer-V2. Those clusters never share a front
// end: each builds its own and they fight over the static IP.
import type { Check } from './doctor-checks.js';
import type { ReconcileResult } from './reconcile-types.js';

export function namingChecks(result: ReconcileResult): Check[] {
  const checks: Check[] = [];
  for (const i of result.ingresses) {
    const v2 = i.shards.filter((s) => s.frontEndNaming === 'v2').map((s) => s.cluster);
    if (v2.length === 0) continue;
    checks.push({
      verdict: i.shards.length > 1 ? 'FAIL' : 'WARN', check: 'glbc-naming',
      message: `Ingress ${i.ref.namespace}/${i.ref.name}: GLBC in ${v2.join(', ')} uses v2 front-end names (finalizer networking.gke.io/ingress-finalizer-V2, k8s2-...), made from each cluster's kube-system namespace UID: these clusters build separate URL maps and forwarding rules and cannot share one load balancer`,
      fix: 'GLBC keeps v1 names only when its v2 namer is off (ingress-gce --enable-v2-frontend-namer=false, for a GLBC you run yourself) or when the Ingress already has a static IP and a v1 URL map (k8s-um-<ns>-<name>--<uid>) exists for it; otherwise serve this Ingress from one cluster, or use a multi-cluster ingress product',
    });
  }
  return checks;
}
