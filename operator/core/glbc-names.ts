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

const hash16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * All names for one Ingress in one cluster. `providerUid` names the firewall
 * (namer.go Firewall(): the provider-uid, else the uid).
 */
export function glbcNames(uid: string, providerUid: string | undefined, ingress?: { namespace: string; name: string }): GlbcNames {
  const lb = ingress ? glbcLoadBalancerName(ingress.namespace, ingress.name, uid) : '';
  const firewallName = providerUid || uid;
  return {
    instanceGroup: decorate(`${PREFIX}-ig`, uid),
    backend: (port) => decorate(`${PREFIX}-be-${port}`, uid),
    namedPort: (port) => `port${port}`,
    urlMap: glbcTruncate(`${PREFIX}-um-${lb}`),
    targetHttpProxy: glbcTruncate(`${PREFIX}-tp-${lb}`),
    targetHttpsProxy: glbcTruncate(`${PREFIX}-tps-${lb}`),
    forwardingRule: glbcTruncate(`${PREFIX}-fw-${lb}`),
    httpsForwardingRule: glbcTruncate(`${PREFIX}-fws-${lb}`),
    sslCertificate: (pem) => decorate(`${PREFIX}-ssl-${hash16(lb)}-${hash16(pem)}`, uid),
    firewall: `${PREFIX}-fw-${firewallName ? glbcTruncate(`l7${DELIMITER}${firewallName}`) : 'l7'}`,
  };
}
