// Which of GLBC's Compute Engine resources no member cluster owns any more.
// GLBC only ever collects names with its CURRENT uid, so a uid change (a
// migration) or a removed cluster leaves its whole set behind, billed and
// invisible; a leftover instance group k8s-ig--<old uid> still holding the
// nodes even blocks the new one (instanceInMultipleLoadBalancedIgs). Pure: the
// resources and the members' uids come in, the orphans go out.
import { glbcNameBelongsTo } from './glbc-names.js';

export interface CloudResource {
  /** Compute Engine collection: backendServices, firewalls, instanceGroups, ... */
  collection: string;
  name: string;
  /** Zonal resources only. */
  zone?: string;
  data?: Record<string, unknown>;
}

export interface MemberUid {
  cluster: string;
  /** kube-system/ingress-uid's uid as the cluster has it; undefined = could not be read. */
  uid?: string;
  providerUid?: string;
  zone?: string;
}

export interface Orphan {
  resource: CloudResource;
  reason: string;
  /** Set when it does harm beyond cost: the error it causes. */
  blocks?: string;
  /** Member clusters (in other zones) that still use its uid: listed, but `gce gc` never deletes it. */
  uidInUseBy?: string[];
}

export interface OrphanReport {
  orphans: Orphan[];
  /** Members whose uid is unknown: while any is, nothing is called an orphan (it could be theirs). */
  unknown: string[];
}

/** "<rest>--<uid>" -> uid (certificates: the part before the cert hash), as GLBC's namer parses it. */
function uidOf(name: string): string | undefined {
  const parts = name.split('--');
  return parts.length >= 2 ? parts[parts.length - 1] : undefined;
}

export function findOrphans(resources: readonly CloudResource[], members: readonly MemberUid[]): OrphanReport {
  const unknown = members.filter((m) => !m.uid).map((m) => m.cluster);
  if (unknown.length) return { orphans: [], unknown };
  const uids = [...new Set(members.map((m) => m.uid!))];
  // Firewall() in GLBC's namer: the provider-uid, else the uid.
  const firewallIds = new Set(members.map((m) => m.providerUid || m.uid!));
  const allZoned = members.every((m) => m.zone);
  const zones = new Map(members.filter((m) => m.zone).map((m) => [m.zone!, m.cluster]));
  const orphans: Orphan[] = [];
  for (const r of resources) {
    if (!r.name.startsWith('k8s-')) continue;
    if (r.collection === 'firewalls') {
      const x = /^k8s-fw-l7--(.+)$/.exec(r.name)?.[1];
      if (x && !firewallIds.has(x)) orphans.push({ resource: r, reason: `provider-uid ${x} is no member cluster's` });
      continue;
    }
    const uid = uidOf(r.name);
    if (!uid) continue;
    // An instance group belongs to the cluster(s) in its zone: one left there under an old uid is an orphan even while another zone's cluster still has that uid.
    const zoned = r.collection === 'instanceGroups' && r.zone && allZoned ? members.filter((m) => m.zone === r.zone).map((m) => m.uid!) : uids;
    if (zoned.some((u) => glbcNameBelongsTo(r.name, u))) continue;
    const o: Orphan = { resource: r, reason: zoned === uids ? `uid ${uid} is no member cluster's (members use ${uids.join(', ')})` : `uid ${uid} is not the uid of ${r.zone}'s cluster (${zoned.join(', ') || 'none there any more'})` };
    const users = members.filter((m) => glbcNameBelongsTo(r.name, m.uid!)).map((m) => m.cluster);
    if (users.length) o.uidInUseBy = users;
    if (r.collection === 'instanceGroups' && r.zone && zones.has(r.zone) && Number(r.data?.size ?? 0) > 0) {
      o.blocks = `it still holds ${String(r.data?.size)} instance(s) in ${r.zone}: cluster ${zones.get(r.zone)}'s nodes cannot join their new instance group (instanceInMultipleLoadBalancedIgs)`;
    }
    orphans.push(o);
  }
  return { orphans, unknown };
}

/** "instanceGroups zones/us-east1-b/k8s-ig--abc" */
export function describeCloudResource(r: CloudResource): string {
  return `${r.collection} ${r.zone ? `zones/${r.zone}/` : ''}${r.name}`;
}
