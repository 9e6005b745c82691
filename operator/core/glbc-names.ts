// The names GLBC (kubernetes/ingress-gce, legacy "v1" naming in
// pkg/utils/namer/namer.go) gives the Compute Engine resources of one Ingress.
// They are derived from kube-system/ingress-uid alone, which is why clusters
// with one uid build into ONE set of resources: the names must match GLBC's
// byte for byte, truncation included, or a check against the cloud would see
// the wrong set.
import { createHash } from 'node:crypto';

const PREFIX = 'k8s';
const DELIMITER = '--';
/** GCE allows 63 characters; GLBC cuts at 62 and appends '0' so a name never ends in '-'. */
const NAME_LEN_LIMIT = 62;

const hash16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** namer.go truncate(): longer than 62 -> the first 62 characters + "0". */
export function glbcTruncate(name: string): string {
  return name.length > NAME_LEN_LIMIT ? `${name.slice(0, NAME_LEN_LIMIT)}0` : name;
}

/** namer.go decorateName(): "<name>--<uid>", truncated; an empty uid leaves the name bare. */
function decorate(name: string, uid: string): string {
  return uid ? glbcTruncate(`${name}${DELIMITER}${uid}`) : name;
}

/** namer.go LoadBalancer(): "<ns>-<name>--<uid>" for the Ingress key "<ns>/<name>". */
export function glbcLoadBalancerName(namespace: string, name: string, uid: string): string {
  const key = `${namespace}/${name}`;
  const scrubbed = key.replaceAll('/', '-');
  const parts = key.split(DELIMITER);
  if (!uid || parts[parts.length - 1] === uid) return scrubbed;
  return glbcTruncate(`${scrubbed}${DELIMITER}${uid}`);
}

export interface GlbcNames {
  instanceGroup: string;
  /** Backend service and health check share this name. */
  backend(nodePort: number): string;
  namedPort(nodePort: number): string;
  urlMap: string;
  targetHttpProxy: string;
  targetHttpsProxy: string;
  forwardingRule: string;
  httpsForwardingRule: string;
  /** namer.go SSLCertName(): k8s-ssl-<sha256(lb name)[:16]>-<sha256(certificate PEM)[:16]>--<uid> (translator.go GetCertHash). */
  sslCertificate(certificatePem: string): string;
  firewall: string;
}


/** The front end's names for one load balancer name (what GLBC's L7 Cleanup deletes). */
export function glbcFrontendNames(lb: string) {
  return {
    urlMap: glbcTruncate(`${PREFIX}-um-${lb}`),
    targetHttpProxy: glbcTruncate(`${PREFIX}-tp-${lb}`),
    targetHttpsProxy: glbcTruncate(`${PREFIX}-tps-${lb}`),
    forwardingRule: glbcTruncate(`${PREFIX}-fw-${lb}`),
    httpsForwardingRule: glbcTruncate(`${PREFIX}-fws-${lb}`),
    /** namer.go IsCertUsedForLB(): a certificate of this load balancer starts so (and ends with the uid). */
    sslCertificatePrefix: `${PREFIX}-ssl-${hash16(lb)}`,
  };
}

/**
 * All names for one Ingress in one cluster. `providerUid` names the firewall
 * (namer.go Firewall(): the provider-uid, else the uid).
 */
export function glbcNames(uid: string, providerUid: string | undefined, ingress?: { namespace: string; name: string }): GlbcNames {
  const lb = ingress ? glbcLoadBalancerName(ingress.namespace, ingress.name, uid) : '';
  const firewallName = providerUid || uid;
  const front = glbcFrontendNames(lb);
  return {
    instanceGroup: decorate(`${PREFIX}-ig`, uid),
    backend: (port) => decorate(`${PREFIX}-be-${port}`, uid),
    namedPort: (port) => `port${port}`,
    urlMap: front.urlMap,
    targetHttpProxy: front.targetHttpProxy,
    targetHttpsProxy: front.targetHttpsProxy,
    forwardingRule: front.forwardingRule,
    httpsForwardingRule: front.httpsForwardingRule,
    sslCertificate: (pem) => decorate(`${front.sslCertificatePrefix}-${hash16(pem)}`, uid),
    firewall: `${PREFIX}-fw-${firewallName ? glbcTruncate(`l7${DELIMITER}${firewallName}`) : 'l7'}`,
  };
}

/** namer.go ParseName(): the uid after the last "--" (for certificates, before the cert hash) and, for URL maps, the load balancer prefix. */
function parseName(name: string): { uid: string; resource: string; lbNamePrefix: string } {
  const l = name.split(DELIMITER);
  let uid = l.length >= 2 ? l[l.length - 1]! : '';
  const c = l[0]!.split('-');
  const resource = c.length >= 2 ? c[1]! : '';
  if (resource === 'ssl') uid = uid.split('-')[0]!;
  return { uid, resource, lbNamePrefix: resource === 'um' ? c.slice(2).join('-') : '' };
}

/**
 * namer.go NameBelongsToEntity(): whether GLBC with `uid` counts `name` as its
 * own (and so garbage-collects it): the exact uid, or a uid prefix of 5+
 * characters (without the trailing "0" of a name cut at 62). GLBC only ever collects its
 * CURRENT uid's names, which is why a uid change leaves the old set behind.
 */
export function glbcNameBelongsTo(name: string, uid: string): boolean {
  if (!name.startsWith(`${PREFIX}-`)) return false;
  let own = parseName(name).uid;
  if (own === uid) return true;
  if (name.length > NAME_LEN_LIMIT && own.endsWith('0')) own = own.slice(0, -1);
  return own.length > 4 && uid.startsWith(own);
}

/** namer.go LoadBalancerForURLMap(): the load balancer name a URL map was made for. */
export function glbcLoadBalancerForUrlMap(urlMap: string, uid: string): string {
  return glbcTruncate(`${parseName(urlMap).lbNamePrefix}${DELIMITER}${uid}`);
}
