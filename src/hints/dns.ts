// What a DNS fact that does not hold causes for delivery: the hint under a failed `expect mx`,
// `expect rdns`, `expect dane` or `expect mta-sts`.
import type { DaneOutcome, MtaStsOutcome } from "../compile/steps.js";

export function rdnsHint(local: boolean, found: "none" | "unconfirmed" | "other-name"): string {
  if (local) {
    if (found === "none") return "the address mail is sent from has no PTR record: many receivers refuse or greylist such mail (Postfix's reject_unknown_reverse_client_hostname, Gmail's and Microsoft's 4.7.25/5.7.25, RFC 7372 §3.3); ask whoever owns the address (the hosting provider) to set its PTR to the host's name";
    if (found === "unconfirmed") return "the PTR name of the address mail is sent from does not resolve back to it (not forward-confirmed): receivers treat the sender as having no reverse DNS (Postfix's reject_unknown_client_hostname); add an A/AAAA record for the PTR name, or change the PTR to a name that has one";
    return "the address mail is sent from has a PTR name other than the one expected: SPF, the HELO name and block lists are often checked against it; set the PTR to the name the server says in EHLO";
  }
  if (found === "none") return "the server's address has no PTR record: it matters when this server sends mail too (receivers refuse senders without reverse DNS); set the PTR at the owner of the address";
  if (found === "unconfirmed") return "the server's PTR name does not resolve back to its address: as a sender it would be treated as having no reverse DNS; add an A/AAAA record for the PTR name";
  return "the server's address has a PTR name other than the one expected: check which host answers at this address, and the PTR set for it";
}

export function mxHint(): string {
  return "the MX records are not what the script expects: mail goes to the hosts DNS names now (check the zone, its serial and that every authoritative server has the change; TTLs delay it elsewhere)";
}

export const DANE_HINTS: Record<DaneOutcome, string> = {
  verified: "",
  mismatch: "DNSSEC-signed TLSA records that match nothing make DANE-validating MTAs (Postfix with smtp_tls_security_level=dane, Exim, Microsoft 365) defer all mail to this host: publish records for the certificate in use before replacing a certificate (a `3 1 1` record of the new key next to the old one), then remove the old one",
  insecure: "the TLSA records are not DNSSEC-secure (no AD bit from the validating resolver): MTAs ignore them, so they protect nothing; sign the zone and publish its DS record in the parent, or check that the resolver used validates (--resolver)",
  absent: "no TLSA records: MTAs that use DANE fall back to opportunistic TLS (or MTA-STS) for this host; publish `_25._tcp.MX TLSA 3 1 1 …` in a signed zone to have the certificate checked",
};

export const MTA_STS_HINTS: Record<MtaStsOutcome, string> = {
  enforce: "in mode enforce, sending MTAs refuse to deliver unless TLS to an MX the policy lists verifies; in testing they only report (TLS-RPT)",
  testing: "in mode testing, failures are reported (TLS-RPT) but mail is still delivered",
  none: "mode none withdraws a policy: senders stop applying the one they cached",
  absent: "without a TXT record at _mta-sts.DOMAIN and a policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt, senders apply no MTA-STS",
  valid: "an MX that the policy does not list, or whose certificate does not verify for its name, is refused by senders in mode enforce (RFC 8461 §5): list every MX in the policy's `mx:` lines (a `*.example.com` pattern covers one label) and serve a certificate for the MX's name from a public CA",
};
