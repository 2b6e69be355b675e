// The OCSP response a server staples to its handshake (RFC 6066 §8, the "status_request"
// extension), read and checked as `openssl s_client -status` with `-CAfile` would: it must be
// a successful basic response (RFC 6960 §4.2.1) about this certificate, signed by its issuer
// or by a responder the issuer delegated to (§4.2.2.2), and current.
import { createHash, verify, X509Certificate } from "node:crypto";
import { asn1 } from "./asn1.js";
import { signatureAlgorithmName, SIGNATURE_DIGESTS } from "./chain.js";
import type { OcspFacts } from "./events.js";

const HASHES: Record<string, string> = { "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512" };
const RESPONSE_STATUSES = ["successful", "malformedRequest", "internalError", "tryLater", "(unused)", "sigRequired", "unauthorized"];
const REVOCATION_REASONS = ["unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", "(unused)", "removeFromCRL", "privilegeWithdrawn", "aACompromise"];
/** How far the responder's clock may run ahead of ours (OpenSSL's -status default is 5 min). */
const CLOCK_SKEW_MS = 5 * 60_000;

function serialHex(bytes: ArrayBuffer | Buffer | string): string {
  const hex = typeof bytes === "string" ? bytes : Buffer.from(bytes as ArrayBuffer).toString("hex");
  return hex.toUpperCase().replace(/^(00)+(?=.)/, "");
}

/** The issuer's public key as CertID hashes it: the BIT STRING's contents (RFC 6960 §4.1.1). */
function issuerKeyBits(issuer: X509Certificate): Buffer {
  const { AsnConvert, Certificate } = asn1();
  return Buffer.from(AsnConvert.parse(issuer.raw, Certificate).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
}

/** `chain`: the server's certificate and, next, its issuer. */
export function readStapled(response: Buffer | undefined, chain: X509Certificate[], now = Date.now()): OcspFacts {
  if (!response || response.length === 0) return { status: "absent" };
  const invalid = (problem: string, facts: Partial<OcspFacts> = {}): OcspFacts => ({ ...facts, status: "invalid", problem });
  const { AsnConvert, OCSPResponse, BasicOCSPResponse, id_pkix_ocsp_basic, id_kp_OCSPSigning } = asn1();
  let basic: InstanceType<typeof BasicOCSPResponse>;
  try {
    const outer = AsnConvert.parse(response, OCSPResponse);
    if (Number(outer.responseStatus) !== 0) return invalid(`the responder answered ${RESPONSE_STATUSES[Number(outer.responseStatus)] ?? outer.responseStatus}, not a status`);
    if (!outer.responseBytes || outer.responseBytes.responseType !== id_pkix_ocsp_basic) return invalid("the response is not a basic OCSP response (RFC 6960 §4.2.1)");
    basic = AsnConvert.parse(outer.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (error) {
    return invalid(`the stapled response is not DER an OCSP client can read: ${(error as Error).message}`);
  }
  const [leaf, issuer] = chain;
  if (!leaf || !issuer) return invalid("the certificate's issuer is unknown, so the response cannot be checked");
  const single = basic.tbsResponseData.responses.find((candidate) => {
    const hash = HASHES[candidate.certID.hashAlgorithm.algorithm];
    if (!hash || serialHex(candidate.certID.serialNumber) !== serialHex(leaf.serialNumber)) return false;
    return createHash(hash).update(issuerKeyBits(issuer)).digest().equals(Buffer.from(candidate.certID.issuerKeyHash.buffer));
  });
  const facts: Partial<OcspFacts> = { producedAt: basic.tbsResponseData.producedAt.toISOString() };
  if (!single) return invalid(`the response is about another certificate (none of its ${basic.tbsResponseData.responses.length} statuses names serial ${serialHex(leaf.serialNumber)} of this issuer)`, facts);
  facts.thisUpdate = single.thisUpdate.toISOString();
  if (single.nextUpdate) facts.nextUpdate = single.nextUpdate.toISOString();

  const signer = responder(basic.certs?.map((c) => new X509Certificate(Buffer.from(AsnConvert.serialize(c)))) ?? [], issuer, id_kp_OCSPSigning);
  const algorithm = signatureAlgorithmName(basic.signatureAlgorithm.algorithm);
  const digest = SIGNATURE_DIGESTS[algorithm];
  if (digest === undefined) return invalid(`the response is signed with ${algorithm}, which mailchat cannot check`, facts);
  const signed = basic.tbsResponseDataRaw ? Buffer.from(basic.tbsResponseDataRaw) : Buffer.from(AsnConvert.serialize(basic.tbsResponseData));
  const valid = signer.some((key) => {
    try {
      return verify(digest, signed, key.publicKey, Buffer.from(basic.signature));
    } catch {
      return false;
    }
  });
  if (!valid) return invalid("the response's signature is not the issuer's nor a responder's the issuer delegated to (RFC 6960 §4.2.2.2)", facts);
  if (single.thisUpdate.getTime() > now + CLOCK_SKEW_MS) return invalid(`the response is from the future (thisUpdate ${facts.thisUpdate})`, facts);
  if (single.nextUpdate && single.nextUpdate.getTime() < now - CLOCK_SKEW_MS) return invalid(`the response is stale: it was good until ${facts.nextUpdate}`, facts);

  const status = single.certStatus;
  if (status.revoked) {
    facts.revokedAt = status.revoked.revocationTime.toISOString();
    if (status.revoked.revocationReason !== undefined) facts.revocationReason = REVOCATION_REASONS[Number(status.revoked.revocationReason)] ?? String(status.revoked.revocationReason);
    return { ...facts, status: "revoked" };
  }
  return { ...facts, status: status.unknown !== undefined ? "unknown" : "good" };
}

/** Who may sign: the issuer, or a certificate it issued for OCSP signing and sent along. */
function responder(included: X509Certificate[], issuer: X509Certificate, ocspSigning: string): X509Certificate[] {
  const delegated = included.filter((c) => c.checkIssued(issuer) && c.verify(issuer.publicKey) && (c.keyUsage ?? []).includes(ocspSigning));
  return [issuer, ...delegated];
}
