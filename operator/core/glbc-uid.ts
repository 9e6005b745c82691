// ONE GLBC uid across every GCE cluster, a provider-uid unique per cluster.
//
// GLBC suffixes every GCE resource with the uid from ConfigMap
// kube-system/ingress-uid: same uid (and same nodePort) in every cluster
// means every cluster's controller converges on one backend service, one URL
// map, one forwarding rule, one IP. provider-uid names the firewall rule and
// must differ, or the clusters' firewall rules overwrite each other.
//
// Safety (which Federation v1 documented but never enforced): changing the uid
// of a cluster that already has Ingresses orphans their load balancers, so
// such a cluster is left alone and its Ingresses are blocked.
import { deterministicGlbcUid, federationProviderUid, leavingGlbcUid } from './hashes.js';
import { isGceClass } from './ingress.js';
import { GLBC_FORWARDING_RULE_ANNOTATION, INGRESS_UID_NAME, INGRESS_UID_NAMESPACE } from './labels.js';
import { observationGap } from './observation-gaps.js';
import { cmp } from './object-keys.js';
import { ownValue } from './own-value.js';
import type { Allocations, ClusterSpec, Finding, KubeObject, ObservedIngress, Observations } from './model.js';

export interface UidResult {
  uid: string;
  providerUids: Record<string, string>;
  /** cluster -> the ConfigMap to apply; absent for blocked clusters */
  configMaps: Record<string, KubeObject>;
  /** cluster -> why its Ingresses are blocked */
  blocked: Record<string, Finding>;
  findings: Finding[];
}

function mostCommonUid(clusters: readonly ClusterSpec[], obs: Observations): string | undefined {
  const count = new Map<string, number>();
  const uids = new Set(clusters.map((c) => ownValue(obs, c.name)?.ingressUid?.uid).filter((u): u is string => !!u));
  for (const c of clusters) {
    const uid = ownValue(obs, c.name)?.ingressUid?.uid;
    // A cluster that left a shared load balancer (leaving.ts) votes for nothing:
    // with two of three gone, their own uids would otherwise tie with the shared one.
    if (uid && ![...uids].some((u) => u !== uid && leavingGlbcUid(u, c.name) === uid)) count.set(uid, (count.get(uid) ?? 0) + 1);
  }
  return [...count].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0]?.[0];
}

/** `k8s-fw-<ns>-<name>--<uid>` -> uid, from the first Ingress GLBC already served. */
function uidFromForwardingRules(ingresses: readonly ObservedIngress[]): string | undefined {
  for (const i of ingresses) {
    const rule = i.annotations?.[GLBC_FORWARDING_RULE_ANNOTATION];
    const m = rule ? /--([0-9a-z]+)$/.exec(rule) : null;
    if (m) return m[1];
  }
  return undefined;
}

export function ingressUidConfigMap(uid: string, providerUid: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: INGRESS_UID_NAME, namespace: INGRESS_UID_NAMESPACE },
    data: { uid, 'provider-uid': providerUid },
  };
}

export function allocateGlbcUid(
  gceClusters: readonly ClusterSpec[],
  observations: Observations,
  previous: Allocations,
  fleetName: string,
): UidResult {
  const clusters = [...gceClusters].sort((a, b) => cmp(a.name, b.name));
  const uid = previous.glbc.uid ?? mostCommonUid(clusters, observations) ?? deterministicGlbcUid(fleetName);
  const findings: Finding[] = [];
  const providerUids: Record<string, string> = {};
  const used = new Set<string>();

  for (const c of clusters) {
    const existing = ownValue(observations, c.name)?.ingressUid?.providerUid;
    const candidates = [existing, ownValue(previous.glbc.providerUids, c.name), federationProviderUid(c.name)];
    let chosen = candidates.find((p): p is string => !!p && !used.has(p));
    for (let i = 1; !chosen; i++) {
      const p = federationProviderUid(`${c.name}#${i}`);
      if (!used.has(p)) chosen = p;
    }
    if (existing && existing !== chosen) {
      findings.push({
        severity: 'warning', code: 'ProviderUidDuplicate', cluster: c.name, place: c.place,
        message: `cluster ${c.name}: provider-uid ${existing} is also used by another cluster (their GCE firewall rules would overwrite each other); it becomes ${chosen}`,
      });
    }
    used.add(chosen);
    providerUids[c.name] = chosen;
  }

  const configMaps: Record<string, KubeObject> = {};
  const blocked: Record<string, Finding> = {};
  for (const c of clusters) {
    const obs = ownValue(observations, c.name);
    // Without both the uid and the Ingresses, the safety check below cannot be made.
    const gap = observationGap(c, observations, ['ingresses', 'ingressUid'], 'ConfigMap kube-system/ingress-uid or GCE Ingresses');
    if (gap) {
      blocked[c.name] = gap;
      continue;
    }
    const ingresses = (obs?.ingresses ?? []).filter((i) => isGceClass(i.ingressClass));
    // Without the ConfigMap GLBC takes the uid from an existing forwarding rule's name.
    const current = obs?.ingressUid?.uid ?? uidFromForwardingRules(ingresses);
    // A cluster that is leaving (or left) the shared load balancer keeps its
    // own uid (leaving.ts): back on the shared one, its GLBC would collect the
    // shared names on its next Ingress event. Rejoining is leaving.ts's call.
    if (current && current === leavingGlbcUid(uid, c.name)) {
      configMaps[c.name] = ingressUidConfigMap(current, providerUids[c.name]!);
      continue;
    }
    if (current && current !== uid && ingresses.length > 0) {
      const names = ingresses.slice(0, 3).map((i) => `${i.namespace}/${i.name}`).join(', ');
      blocked[c.name] = {
        severity: 'error', code: 'GlbcUidMismatch', cluster: c.name, place: c.place,
        message: `cluster ${c.name} uses GLBC uid ${current} but the fleet uses ${uid}, and it already has ${ingresses.length} Ingress(es) (${names}); changing the uid would orphan their load balancers (about 10 minutes of outage, and the Ingresses must be recreated), so gitfed leaves this cluster's uid and Ingresses alone. Way out: delete those Ingresses (or move them to the fleet) and let gitfed set the uid, or adopt ${current} fleet-wide by setting allocations' glbc.uid to ${current}`,
      };
      continue;
    }
    if (current && current !== uid) {
      findings.push({
        severity: 'info', code: 'GlbcUidChanges', cluster: c.name, place: c.place,
        message: `cluster ${c.name}: GLBC uid changes from ${current} to ${uid} (no Ingresses there yet, so nothing is orphaned)`,
      });
    }
    configMaps[c.name] = ingressUidConfigMap(uid, providerUids[c.name]!);
  }
  return { uid, providerUids, configMaps, blocked, findings };
}
