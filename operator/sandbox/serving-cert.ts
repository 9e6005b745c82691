// A sandbox apiserver's serving certificate: its own CA and a leaf for
// 127.0.0.1, both ECDSA P-256, written where the apiserver would otherwise
// generate its own (--cert-dir: apiserver.crt holds the leaf, then the CA).
//
// Why not let the apiserver make them: it makes RSA-2048 keys, and an RSA
// signature in every TLS handshake cost a Go apiserver about 4 ms of CPU
// per new connection against about 2 ms with ECDSA (measured here, 100
// connections to one Go server). On one machine with 100 apiservers a
// one-shot command's 100 handshakes are paid on the same 2 cores as the
// command itself; a real apiserver pays for its handshakes on its own
// machine. kubeadm offers the same choice (`encryptionAlgorithm: ECDSA-P256`).
// Node has no certificate builder, so the DER is written here: one
// TBSCertificate, signed with node:crypto.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** The names a kube-apiserver's self-signed certificate carries, and localhost. */
const SERVING_DNS = ['kubernetes.default.svc', 'kubernetes.default', 'kubernetes', 'localhost'];
const SERVING_IPS = ['127.0.0.1', '10.96.0.1'];
const VALID_MS = 365 * 24 * 3600_000;

export interface ServingCert {
  /** Leaf, then CA (PEM), as the apiserver writes apiserver.crt. */
  chain: string;
  /** The leaf's private key (PKCS #8 PEM). */
  key: string;
  /** The CA alone (PEM): what a kubeconfig trusts. */
  ca: string;
}

/** A new CA and a serving leaf signed by it, valid from an hour ago for a year (`now`: for tests). */
export function servingCert(name: string, now = new Date()): ServingCert {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leafKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + VALID_MS);
  const caName = `${name}-ca`;
  const ca = certificate({
    subject: caName, issuer: caName, publicKey: caKeys.publicKey, signer: caKeys.privateKey, notBefore, notAfter,
    extensions: [basicConstraints(true), keyUsage(0x84, 2)], // digitalSignature | keyCertSign
  });
  const leaf = certificate({
    subject: name, issuer: caName, publicKey: leafKeys.publicKey, signer: caKeys.privateKey, notBefore, notAfter,
    extensions: [basicConstraints(false), keyUsage(0x80, 7), extKeyUsageServerAuth(), subjectAltName(SERVING_DNS, SERVING_IPS)],
  });
  return { chain: pem(leaf) + pem(ca), key: leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ca: pem(ca) };
}

interface CertificateParts {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signer: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

const ECDSA_WITH_SHA256 = () => seq(oid('1.2.840.10045.4.3.2'));

function certificate(p: CertificateParts): Buffer {
  const serial = randomBytes(16);
  // Positive and minimal DER (a first byte of 0 is refused by Go: "malformed serial number").
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_WITH_SHA256(),
    commonName(p.issuer),
    seq(time(p.notBefore), time(p.notAfter)),
    commonName(p.subject),
    p.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...p.extensions)),
  );
  return seq(tbs, ECDSA_WITH_SHA256(), bitString(sign('sha256', tbs, p.signer)));
}

function basicConstraints(isCa: boolean): Buffer {
  return extension('2.5.29.19', true, isCa ? seq(tlv(0x01, Buffer.from([0xff]))) : seq());
}

/** `bits`: the first byte of the KeyUsage bit string; `unused`: its unused trailing bits. */
function keyUsage(bits: number, unused: number): Buffer {
  return extension('2.5.29.15', true, tlv(0x03, Buffer.from([unused, bits])));
}

function extKeyUsageServerAuth(): Buffer {
  return extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')));
}

function subjectAltName(dns: string[], ips: string[]): Buffer {
  return extension('2.5.29.17', false, seq(
    ...dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...ips.map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
  ));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function commonName(cn: string): Buffer {
  return seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280, 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

function integer(b: Buffer): Buffer {
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function bitString(b: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
}

function explicit(n: number, inner: Buffer): Buffer {
  return tlv(0xa0 + n, inner);
}

function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, ...parts);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a! + b!];
  for (const v of rest) {
    const enc = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) enc.unshift(0x80 | (x & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
