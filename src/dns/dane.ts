// DANE for SMTP (RFC 7672): the TLSA records of `_PORT._tcp.HOST`, trusted only when a
// validating resolver says they are DNSSEC-secure (the AD bit), matched against the chain the
// server presented. Usages 2 (DANE-TA) and 3 (DANE-EE) are the ones SMTP uses (§3.1.3);
// selectors 0 (certificate) and 1 (public key); matching types 0 (exact), 1 (SHA-256),
// 2 (SHA-512).
import { createHash, X509Certificate } from "node:crypto";
import type { DaneOutcome } from "../compile/steps.js";
import type { DnsClient, TlsaRecord } from "./client.js";

export interface DaneStatus {
  name: string;
  outcome: DaneOutcome;
  /** One line for the transcript and the failure: what DNS said and what matched. */
  detail: string;
  records: TlsaRecord[];
}

export function tlsaName(host: string, port: number): string {
  return `_${port}._tcp.${host.replace(/\.$/, "")}`;
}

export async function daneStatus(dns: DnsClient, host: string, port: number, chain: readonly Buffer[]): Promise<DaneStatus> {
  const name = tlsaName(host, port);
  const answer = await dns.tlsa(name);
  const records = answer.records;
  const secure = answer.authenticated ? "DNSSEC-secure" : "not DNSSEC-signed (no AD bit)";
  if (answer.rcode === "SERVFAIL") return { name, outcome: "insecure", detail: `the resolver failed (SERVFAIL): a DNSSEC validation failure (bogus) or a broken zone; an MTA defers mail to ${host}`, records };
  if (records.length === 0) return { name, outcome: "absent", detail: `no TLSA records (${answer.rcode}, ${secure})`, records };
  const listed = records.map(describeTlsa).join("; ");
  if (!answer.authenticated) return { name, outcome: "insecure", detail: `${records.length} TLSA record${records.length === 1 ? "" : "s"}, ${secure}: an MTA ignores them (${listed})`, records };
  const usable = records.filter((r) => (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && r.matchingType >= 0 && r.matchingType <= 2);
  if (usable.length === 0) return { name, outcome: "mismatch", detail: `${secure}, but no record is usable for SMTP (usages 2 and 3, selectors 0 and 1, matching types 0–2; RFC 7672 §3.1.3): ${listed}`, records };
  if (chain.length === 0) return { name, outcome: "mismatch", detail: `${secure}: the server presented no certificate`, records };
  for (const record of usable) {
    if (record.usage === 3 && matches(record, chain[0]!)) return { name, outcome: "verified", detail: `${secure}: ${describeTlsa(record)} matches the server's certificate (DANE-EE)`, records };
    if (record.usage === 2) {
      const anchor = chain.slice(1).findIndex((der) => matches(record, der));
      if (anchor < 0) continue;
      // Each certificate up to the anchor must be signed by the next: a chain that merely
      // carries the anchor's certificate proves nothing.
      if (!signedUpTo(chain, anchor + 1)) return { name, outcome: "mismatch", detail: `${secure}: ${describeTlsa(record)} matches a certificate the server sent, but the chain below it is not signed by it`, records };
      // DANE-TA: the leaf must still name the host (RFC 7672 §3.2.2).
      if (new X509Certificate(chain[0]!).checkHost(host) === undefined) return { name, outcome: "mismatch", detail: `${secure}: ${describeTlsa(record)} matches a trust anchor of the chain, but the certificate does not name ${host}`, records };
      return { name, outcome: "verified", detail: `${secure}: ${describeTlsa(record)} matches certificate ${anchor + 2} of the chain (DANE-TA)`, records };
    }
  }
  return { name, outcome: "mismatch", detail: `${secure}, but no record matches the chain the server presented (${listed}); an MTA that uses DANE defers the mail`, records };
}

function signedUpTo(chain: readonly Buffer[], anchor: number): boolean {
  for (let i = 0; i < anchor; i++) {
    const [child, parent] = [new X509Certificate(chain[i]!), new X509Certificate(chain[i + 1]!)];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) return false;
  }
  return true;
}

function matches(record: TlsaRecord, der: Buffer): boolean {
  const selected = record.selector === 0 ? der : Buffer.from(new X509Certificate(der).publicKey.export({ type: "spki", format: "der" }));
  const digest = record.matchingType === 0 ? selected : createHash(record.matchingType === 1 ? "sha256" : "sha512").update(selected).digest();
  return digest.equals(record.data);
}

/** `3 1 1 3b6f…a1c2` as dig shows it, the data shortened. */
export function describeTlsa(record: TlsaRecord): string {
  const hex = record.data.toString("hex");
  return `${record.usage} ${record.selector} ${record.matchingType} ${hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex}`;
}
