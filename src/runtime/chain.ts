// The certificate chain of a handshake: every certificate the server presented, what each
// is (key, signature, fingerprint), and whether the chain leads to a trusted root. A missing
// intermediate is the most common certificate fault of mail servers, and clients that carry
// intermediates of their own (browsers) hide it; mail clients do not.
import { createHash, X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import { signatureAlgorithmOid } from "./der.js";
import type { ChainCertificate, ChainVerdict } from "./events.js";

const DAY_MS = 86_400_000;

/** Signature algorithms by OID (RFC 4055, RFC 5758, RFC 8410), as OpenSSL names them. */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.10": "RSASSA-PSS",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
};

/** The digest each signature algorithm hashes with, for verifying signatures made with it. */
export const SIGNATURE_DIGESTS: Record<string, string | null> = {
  sha1WithRSAEncryption: "sha1",
  sha224WithRSAEncryption: "sha224",
  sha256WithRSAEncryption: "sha256",
  sha384WithRSAEncryption: "sha384",
  sha512WithRSAEncryption: "sha512",
  "ecdsa-with-SHA1": "sha1",
  "ecdsa-with-SHA224": "sha224",
  "ecdsa-with-SHA256": "sha256",
  "ecdsa-with-SHA384": "sha384",
  "ecdsa-with-SHA512": "sha512",
  ED25519: null,
  ED448: null,
};

export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGORITHMS[oid] ?? oid;
}

const KEY_TYPES: Record<string, string> = { rsa: "RSA", "rsa-pss": "RSA-PSS", ec: "EC", ed25519: "Ed25519", ed448: "Ed448", dsa: "DSA" };
const NIST_CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521", secp224r1: "P-224" };

/** SHA-256 of DER, written as Node and OpenSSL write fingerprints (AB:CD:…). */
export function fingerprintOf(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex").toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

function pemBlocks(text: string): Buffer[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
}

let bundledAnchors: Set<string> | undefined;
const withExtra = new WeakMap<string[], Set<string>>();
/** The fingerprints of the trust anchors: Node's bundled roots and --ca, hashed once a run. */
function anchors(extra: string[]): Set<string> {
  bundledAnchors ??= new Set(tls.rootCertificates.flatMap(pemBlocks).map(fingerprintOf));
  if (extra.length === 0) return bundledAnchors;
  let set = withExtra.get(extra);
  if (!set) withExtra.set(extra, (set = new Set([...bundledAnchors, ...extra.flatMap(pemBlocks).map(fingerprintOf)])));
  return set;
}

export function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return "";
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : value}`)
    .join(", ");
}

/**
 * The chain Node hands over: the server's certificates, then issuers Node found in the trust
 * store. The root's `issuerCertificate` is the root itself; a chain that loops elsewhere (a
 * hostile server) stops at the first certificate seen twice.
 */
function walk(leaf: tls.DetailedPeerCertificate): tls.DetailedPeerCertificate[] {
  const list: tls.DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let cert: tls.DetailedPeerCertificate | undefined = leaf; cert && cert.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    list.push(cert);
  }
  return list;
}

export interface Chain {
  certificates: ChainCertificate[];
  verdict: ChainVerdict;
  /** Parsed, for what needs the keys (OCSP: the issuer's). */
  x509: X509Certificate[];
}

/** Chains described in this run, by their certificates' fingerprints, for each set of trust
 *  anchors: a load run meets the same chain in every session, and parsing it and checking its
 *  signatures cost ~0.9 ms a handshake, a tenth of a STARTTLS load run. Bounded, as a fleet
 *  may meet many. */
const described = new WeakMap<Set<string>, Map<string, Chain>>();
const MAX_DESCRIBED = 64;

const daysLeft = (validTo: string) => Math.floor((Date.parse(validTo) - Date.now()) / DAY_MS);

export function describeChain(leaf: tls.DetailedPeerCertificate, extraAnchors: string[]): Chain {
  const peers = walk(leaf);
  const trust = anchors(extraAnchors);
  const key = peers.map((cert) => cert.fingerprint256).join(" ");
  let known = described.get(trust);
  const seen = known?.get(key);
  // The days left are counted again: a run may outlast a day.
  if (seen) return { ...seen, certificates: seen.certificates.map((entry) => ({ ...entry, daysLeft: daysLeft(entry.validTo) })) };
  const chain = describe(peers, trust);
  if (!known) described.set(trust, (known = new Map()));
  if (known.size >= MAX_DESCRIBED) known.clear();
  known.set(key, chain);
  return chain;
}

function describe(peers: tls.DetailedPeerCertificate[], trust: Set<string>): Chain {
  const x509 = peers.map((cert) => new X509Certificate(cert.raw));
  const certificates = peers.map((cert, depth): ChainCertificate => {
    const parsed = x509[depth]!;
    const key = parsed.publicKey;
    const details = key.asymmetricKeyDetails ?? {};
    const entry: ChainCertificate = {
      depth,
      subject: distinguishedName(cert.subject),
      issuer: distinguishedName(cert.issuer),
      validTo: new Date(cert.valid_to).toISOString(),
      daysLeft: daysLeft(new Date(cert.valid_to).toISOString()),
      keyType: KEY_TYPES[key.asymmetricKeyType ?? ""] ?? key.asymmetricKeyType ?? "unknown",
      signatureAlgorithm: signatureAlgorithmName(signatureAlgorithmOid(cert.raw) ?? "unknown"),
      fingerprint256: cert.fingerprint256,
      selfSigned: issuedBy(parsed, parsed),
      trusted: trust.has(cert.fingerprint256),
      pem: toPem(cert.raw),
    };
    const bits = details.modulusLength ?? cert.bits;
    if (bits && entry.keyType !== "Ed25519" && entry.keyType !== "Ed448") entry.keyBits = bits;
    if (details.namedCurve) entry.curve = NIST_CURVES[details.namedCurve] ?? details.namedCurve;
    return entry;
  });
  return { certificates, verdict: judgeChain(certificates, x509), x509 };
}

/** Names match and the signature holds; a key type OpenSSL cannot verify with counts as not. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function judgeChain(chain: ChainCertificate[], x509: X509Certificate[]): ChainVerdict {
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(x509[i]!, x509[i + 1]!)) {
      return { complete: false, reason: `[${i}] ${chain[i]!.subject} is not signed by the next certificate, [${i + 1}] ${chain[i + 1]!.subject} (the server sends its certificates out of order or a wrong intermediate)` };
    }
  }
  const top = chain[chain.length - 1];
  if (!top) return { complete: false, reason: "the server sent no certificate" };
  if (top.trusted) return { complete: true };
  if (top.selfSigned) return { complete: false, reason: `the chain ends at [${top.depth}] ${top.subject}, a self-signed certificate that is not a trusted root (trust it with --ca)` };
  return { complete: false, reason: `the chain ends at [${top.depth}] ${top.subject}: its issuer ${top.issuer} was neither sent by the server nor found in the trust store (an intermediate certificate is missing from the server's chain)` };
}
