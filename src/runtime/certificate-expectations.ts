// `expect cert chain …`, `fingerprint`, `key`, `signature`, `ocsp` and `expect tls alpn`:
// the facts of a handshake beyond its version, cipher and leaf certificate.
import type { ConnectionCheck } from "../compile/steps.js";
import type { Failure, TlsFacts } from "./events.js";
import { compare, describePattern, judgeConnection, matchPattern, type LeafCheck, type Render } from "./expectations.js";

type Fact = Exclude<ConnectionCheck, LeafCheck>;
type Verdict = Omit<Failure, "span"> | undefined;

const NO_CERTIFICATE: Verdict = { message: "the server sent no certificate", expected: "a certificate", actual: "none" };

function describeOcsp(ocsp: NonNullable<TlsFacts["ocsp"]>): string {
  switch (ocsp.status) {
    case "absent":
      return "no OCSP response was stapled";
    case "invalid":
      return `the stapled OCSP response is unusable: ${ocsp.problem ?? "unknown problem"}`;
    case "revoked":
      return `the stapled OCSP response says revoked${ocsp.revokedAt ? ` since ${ocsp.revokedAt}` : ""}${ocsp.revocationReason ? ` (${ocsp.revocationReason})` : ""}`;
    default:
      return `the stapled OCSP response says ${ocsp.status}`;
  }
}

const LEAF_KINDS: ReadonlySet<ConnectionCheck["kind"]> = new Set<LeafCheck["kind"]>(["tls-version", "tls-cipher", "cert-verified", "cert-expires", "cert-field"]);

function isLeafCheck(check: ConnectionCheck): check is LeafCheck {
  return LEAF_KINDS.has(check.kind);
}

/** Any `expect tls …` / `expect cert …` check. */
export function judgeHandshake(check: ConnectionCheck, tls: TlsFacts | undefined, render: Render): Verdict {
  if (isLeafCheck(check)) return judgeConnection(check, tls, render);
  if (!tls) return { message: "the connection is not encrypted", expected: "TLS", actual: "plaintext" };
  return judgeCertificateFact(check, tls, render);
}

function judgeCertificateFact(check: Fact, tls: TlsFacts, render: Render): Verdict {
  if (check.kind === "tls-alpn") {
    const { found } = matchPattern(check.pattern, tls.alpn ?? "", render);
    return found ? undefined : { message: tls.alpn ? `expected ALPN to settle on ${describePattern(check.pattern, render)}, it settled on "${tls.alpn}"` : `expected ALPN to settle on ${describePattern(check.pattern, render)}, but no protocol was agreed`, expected: describePattern(check.pattern, render), actual: tls.alpn ?? "no ALPN protocol" };
  }
  const chain = tls.chain;
  const leaf = chain?.[0];
  if (!chain || !leaf) return NO_CERTIFICATE;
  switch (check.kind) {
    case "cert-chain-complete":
      return tls.chainVerdict?.complete ? undefined : { message: `the certificate chain is not complete: ${tls.chainVerdict?.reason ?? "unknown reason"}`, expected: "a chain to a trusted root", actual: chain.map((c) => `[${c.depth}] ${c.subject}`).join(" <- ") };
    case "cert-chain-includes": {
      const found = chain.some((c) => matchPattern(check.pattern, c.subject, render).found);
      return found ? undefined : { message: `expected a certificate of the chain to have a subject matching ${describePattern(check.pattern, render)}`, expected: describePattern(check.pattern, render), actual: chain.map((c) => `[${c.depth}] ${c.subject}`).join("; ") };
    }
    case "cert-fingerprint": {
      const actual = leaf.fingerprint256.replace(/:/g, "");
      return actual === check.sha256 ? undefined : { message: "the server's certificate is not the pinned one (SHA-256 fingerprints differ)", expected: check.sha256, actual };
    }
    case "cert-key": {
      const actual = `${leaf.keyType}${leaf.keyBits ? ` ${leaf.keyBits}` : ""}${leaf.curve ? ` (${leaf.curve})` : ""}`;
      const expected = `${check.keyType ?? "a key"}${check.comparator ? ` ${check.comparator} ${check.bits} bits` : ""}`;
      if (check.keyType && check.keyType !== leaf.keyType) return { message: `expected an ${check.keyType} key, the certificate has ${actual}`, expected, actual };
      if (check.comparator && !(leaf.keyBits !== undefined && compare(leaf.keyBits, check.comparator, check.bits!))) return { message: `expected a key of ${check.comparator} ${check.bits} bits, the certificate has ${actual}`, expected, actual };
      return undefined;
    }
    case "cert-signature": {
      const { found } = matchPattern(check.pattern, leaf.signatureAlgorithm, render);
      return found ? undefined : { message: `expected the certificate's signature algorithm to match ${describePattern(check.pattern, render)}`, expected: describePattern(check.pattern, render), actual: leaf.signatureAlgorithm };
    }
    case "cert-ocsp": {
      const ocsp = tls.ocsp ?? { status: "absent" as const };
      return ocsp.status === check.status ? undefined : { message: `expected OCSP ${check.status}: ${describeOcsp(ocsp)}`, expected: `ocsp ${check.status}`, actual: describeOcsp(ocsp) };
    }
  }
}
