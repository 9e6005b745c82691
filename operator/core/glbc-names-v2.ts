// GLBC's "v2" front-end names (kubernetes/ingress-gce
// pkg/utils/namer/frontendnamer.go), used for an Ingress that carries the
// finalizer networking.gke.io/ingress-finalizer-V2: k8s2-<type>-<cluster
// hash>-<namespace>-<name>-<suffix>. The cluster hash comes from the UID of
// the cluster's kube-system namespace, not from kube-system/ingress-uid, so
// every cluster names a v2 Ingress's front end differently and clusters no
// longer meet in one URL map and forwarding rule. Backends keep v1 names.
import { createHash } from 'node:crypto';

export const FINALIZER_V2 = 'networking.gke.io/ingress-finalizer-V2';
const MAX_COMBINED = 36;
const CHARS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** common.ContentHash(): the first n bytes of sha256, each mapped onto [0-9a-z]. */
export function glbcContentHash(s: string, n: number): string {
  const bytes = createHash('sha256').update(s).digest();
  let out = '';
  for (let i = 0; i < n && i < bytes.length; i++) out += CHARS[bytes[i]! % CHARS.length];
  return out;
}

/** namer.TrimFieldsEvenly(): cut longer fields more, so the total fits `max`. */
export function trimFieldsEvenly(max: number, ...fields: string[]): string[] {
  const total = fields.reduce((n, f) => n + f.length, 0);
  if (max <= 0 || total <= max) return fields;
  const excess = total - max;
  let remaining = max;
  // Go's integer division truncates toward zero, as Math.trunc does.
  const lengths = fields.map((f) => { const l = f.length - Math.trunc((f.length * excess) / total) - 1; remaining -= l; return l; });
  for (let i = 0; i < remaining; i++) lengths[i]!++;
  return fields.map((f, i) => f.slice(0, lengths[i]));
}

export interface GlbcV2FrontendNames {
  loadBalancer: string;
  urlMap: string;
  targetHttpProxy: string;
  targetHttpsProxy: string;
  forwardingRule: string;
  httpsForwardingRule: string;
  sslCertificate(certificateHash: string): string;
  sslCertificatePrefix: string;
}

export function glbcV2FrontendNames(kubeSystemUid: string, namespace: string, name: string, prefix = 'k8s'): GlbcV2FrontendNames {
  const clusterUid = glbcContentHash(kubeSystemUid, 8);
  const [ns, n] = trimFieldsEvenly(MAX_COMBINED, namespace, name);
  const suffix = glbcContentHash([kubeSystemUid, namespace, name].join(';'), 8);
  const lb = `${clusterUid}-${ns}-${n}-${suffix}`;
  const p = `${prefix}2`;
  const certPrefix = `${p}-cr-${clusterUid}-${glbcContentHash(lb, 16)}`;
  return {
    loadBalancer: lb,
    urlMap: `${p}-um-${lb}`,
    targetHttpProxy: `${p}-tp-${lb}`,
    targetHttpsProxy: `${p}-ts-${lb}`,
    forwardingRule: `${p}-fr-${lb}`,
    httpsForwardingRule: `${p}-fs-${lb}`,
    sslCertificate: (hash) => `${certPrefix}-${hash}`,
    sslCertificatePrefix: certPrefix,
  };
}
