// What a handshake showed beyond its version and leaf certificate, as transcript lines:
// the chain (as `openssl s_client -showcerts` lists it, compacted), the chain's verdict,
// the stapled OCSP status, the ALPN protocol and the client certificate presented.
import type { ChainCertificate, TlsFacts } from "../runtime/events.js";

function describeLink(cert: ChainCertificate): string {
  const key = cert.curve ? `${cert.keyType} ${cert.curve}` : `${cert.keyType}${cert.keyBits ? ` ${cert.keyBits}` : ""}`;
  const origin = cert.selfSigned ? (cert.trusted ? "self-signed, trusted root" : "self-signed, NOT trusted") : `issued by ${cert.issuer}${cert.trusted ? ", trusted" : ""}`;
  const when = cert.daysLeft < 0 ? `expired ${cert.validTo.slice(0, 10)}` : `expires ${cert.validTo.slice(0, 10)}`;
  return `chain [${cert.depth}] ${cert.subject}, ${origin}, ${when}, ${key}, ${cert.signatureAlgorithm}, sha256 ${cert.fingerprint256}`;
}

/** Lines without the `*: ` mark; every text in them came from the server and must be made printable by the caller. */
export function handshakeLines(facts: TlsFacts): string[] {
  const lines = (facts.chain ?? []).map(describeLink);
  if (facts.chainVerdict) lines.push(facts.chainVerdict.complete ? "chain complete to a trusted root" : `chain INCOMPLETE: ${facts.chainVerdict.reason ?? "unknown reason"}`);
  const ocsp = facts.ocsp;
  if (ocsp && ocsp.status !== "absent") {
    const detail = ocsp.status === "invalid" ? `: ${ocsp.problem ?? ""}` : ocsp.status === "revoked" ? ` since ${ocsp.revokedAt ?? "?"}${ocsp.revocationReason ? ` (${ocsp.revocationReason})` : ""}` : "";
    lines.push(`ocsp stapled: ${ocsp.status}${detail}${ocsp.nextUpdate ? `, next update ${ocsp.nextUpdate.slice(0, 16).replace("T", " ")}` : ""}`);
  }
  if (facts.alpn) lines.push(`alpn ${facts.alpn}`);
  if (facts.clientCertificate) lines.push(`client cert ${facts.clientCertificate.subject}, sha256 ${facts.clientCertificate.fingerprint256}`);
  return lines;
}
