// Identity and ordering of Kubernetes objects, without asking a server.
import type { KubeObject, ObjectRef } from './model.js';

/** Built-in kinds that live outside namespaces. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition',
  'ClusterRole', 'ClusterRoleBinding', 'IngressClass', 'PriorityClass', 'APIService',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'RuntimeClass',
  'CSIDriver', 'CSINode', 'VolumeAttachment', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'CertificateSigningRequest', 'ClusterTrustBundle',
  'FlowSchema', 'PriorityLevelConfiguration', 'VolumeAttributesClass', 'DeviceClass', 'ResourceSlice',
  'IPAddress', 'ServiceCIDR',
]);

/** Built-in kinds that live in a namespace ("default" when unset). */
const NAMESPACED = new Set([
  'Pod', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Endpoints', 'EndpointSlice', 'PersistentVolumeClaim',
  'LimitRange', 'ResourceQuota', 'Event', 'PodTemplate', 'ReplicationController', 'Deployment', 'ReplicaSet',
  'StatefulSet', 'DaemonSet', 'ControllerRevision', 'Job', 'CronJob', 'Ingress', 'NetworkPolicy', 'Role',
  'RoleBinding', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Lease', 'CSIStorageCapacity',
  'ResourceClaim', 'ResourceClaimTemplate',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** A built-in namespaced kind: an unset namespace means "default". */
export function isKnownNamespaced(kind: string): boolean {
  return NAMESPACED.has(kind);
}

/**
 * The namespace an object is keyed under: absent for built-in cluster-scoped
 * kinds, "default" when unset. For a kind gitfed does not know this is only
 * an identity (the same for the Git and the live object); what is written
 * into the object is decided by renderNamespace.
 */
export function effectiveNamespace(obj: { kind: string; metadata: { namespace?: string } }): string | undefined {
  if (isClusterScoped(obj.kind)) return undefined;
  return obj.metadata.namespace || 'default';
}

export function refOf(obj: KubeObject): ObjectRef {
  const ns = effectiveNamespace(obj);
  return ns === undefined
    ? { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name }
    : { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name };
}

/** "Kind ns/name" or "Kind name": how objects are named in messages. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** API group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Stable identity: group, kind, namespace, name (the version may change without changing the object). */
export function keyOf(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion ?? '')}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/**
 * Apply order inside a cluster: namespaces and CRDs first, then the GLBC uid
 * ConfigMap (so GLBC names resources right from the first Ingress), other
 * config, Services, workloads, and Ingresses last (their backends exist by then).
 */
export function applyRank(obj: { kind: string; metadata: { name: string; namespace?: string } }): number {
  switch (obj.kind) {
    case 'Namespace':
      return 0;
    case 'CustomResourceDefinition':
      return 1;
    case 'ConfigMap':
      return obj.metadata.namespace === 'kube-system' && obj.metadata.name === 'ingress-uid' ? 2 : 4;
    case 'ServiceAccount': case 'Secret': case 'ClusterRole': case 'ClusterRoleBinding':
    case 'Role': case 'RoleBinding': case 'PersistentVolumeClaim': case 'IngressClass':
      return 3;
    case 'Service':
      return 5;
    case 'Deployment': case 'ReplicaSet': case 'StatefulSet': case 'DaemonSet': case 'Job': case 'CronJob':
      return 6;
    case 'Ingress':
      return 8;
    default:
      return 7;
  }
}

export function compareForApply(a: KubeObject, b: KubeObject): number {
  return applyRank(a) - applyRank(b)
    || cmp(a.kind, b.kind)
    || cmp(effectiveNamespace(a) ?? '', effectiveNamespace(b) ?? '')
    || cmp(a.metadata.name, b.metadata.name);
}

/** Locale-independent string comparison (byte-identical output everywhere). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
