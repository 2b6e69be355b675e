// The one field of a certificate Node's X509Certificate does not give (before Node 22): the
// signature algorithm's OID. It is the second element of the outer SEQUENCE (RFC 5280
// §4.1.1.2), two DER headers in (X.690 §8.1): reading them costs microseconds, where a full
// ASN.1 schema parse costs milliseconds a certificate on every handshake of a load run.

interface Header {
  tag: number;
  start: number;
  length: number;
}

function header(der: Buffer, offset: number): Header | undefined {
  if (offset + 2 > der.length) return undefined;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > der.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start++]!;
  }
  return start + length <= der.length ? { tag, start, length } : undefined;
}

const SEQUENCE = 0x30;
const OBJECT_IDENTIFIER = 0x06;

/** X.690 §8.19: the first byte holds two arcs, the rest base-128 with continuation bits. */
function decodeOid(bytes: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (arcs.length === 0) arcs.push(Math.min(2, Math.floor(value / 40)), value - Math.min(2, Math.floor(value / 40)) * 40);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join(".");
}

/** The certificate's signatureAlgorithm OID, or undefined when the DER is not a certificate. */
export function signatureAlgorithmOid(der: Buffer): string | undefined {
  const certificate = header(der, 0);
  if (certificate?.tag !== SEQUENCE) return undefined;
  const tbs = header(der, certificate.start);
  if (tbs?.tag !== SEQUENCE) return undefined;
  const algorithm = header(der, tbs.start + tbs.length);
  if (algorithm?.tag !== SEQUENCE) return undefined;
  const oid = header(der, algorithm.start);
  if (oid?.tag !== OBJECT_IDENTIFIER) return undefined;
  return decodeOid(der.subarray(oid.start, oid.start + oid.length));
}
