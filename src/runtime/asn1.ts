// The X.509 and OCSP schemas (PeculiarVentures' asn1-x509, asn1-ocsp), loaded on the first
// handshake: a run without TLS never pays for them.
import { createRequire } from "node:module";
import type * as Ocsp from "@peculiar/asn1-ocsp";
import type * as Schema from "@peculiar/asn1-schema";
import type * as X509 from "@peculiar/asn1-x509";

export interface Asn1 {
  AsnConvert: typeof Schema.AsnConvert;
  Certificate: typeof X509.Certificate;
  OCSPResponse: typeof Ocsp.OCSPResponse;
  BasicOCSPResponse: typeof Ocsp.BasicOCSPResponse;
  OCSPResponseStatus: typeof Ocsp.OCSPResponseStatus;
  id_pkix_ocsp_basic: string;
  id_kp_OCSPSigning: string;
}

let loaded: Asn1 | undefined;
export function asn1(): Asn1 {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const schema = require("@peculiar/asn1-schema") as typeof Schema;
  const x509 = require("@peculiar/asn1-x509") as typeof X509;
  const ocsp = require("@peculiar/asn1-ocsp") as typeof Ocsp;
  return (loaded = {
    AsnConvert: schema.AsnConvert,
    Certificate: x509.Certificate,
    OCSPResponse: ocsp.OCSPResponse,
    BasicOCSPResponse: ocsp.BasicOCSPResponse,
    OCSPResponseStatus: ocsp.OCSPResponseStatus,
    id_pkix_ocsp_basic: ocsp.id_pkix_ocsp_basic,
    id_kp_OCSPSigning: ocsp.id_kp_OCSPSigning,
  });
}
