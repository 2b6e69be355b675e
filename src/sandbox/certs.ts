// Certificates made at start: a CA and a server certificate signed by it, so that mailchat
// can verify the sandbox the way it verifies a real server. Keys come from Node's native
// RSA generator (node-forge's pure-JS one takes seconds); node-forge builds the X.509.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

export interface CertificateSet {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface CertificateOptions {
  /** Names the server certificate is for; localhost, 127.0.0.1 and ::1 are always added. */
  hosts?: string[];
  /** Validity entirely in the past (the `expired-cert` fault). */
  expired?: boolean;
  /** A self-signed server certificate, not issued by the CA (the `self-signed` fault). */
  selfSigned?: boolean;
}

const DAY_MS = 86_400_000;

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function serial(): string {
  // Positive serial number: the top bit clear.
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString("hex");
}

export function generateCertificates(options: CertificateOptions = {}): CertificateSet {
  const now = Date.now();
  const ca = keyPair();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = serial();
  caCert.validity.notBefore = new Date(now - DAY_MS);
  caCert.validity.notAfter = new Date(now + 3650 * DAY_MS);
  const caName = [{ name: "commonName", value: "mailchat sandbox CA" }, { name: "organizationName", value: "mailchat sandbox" }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const hosts = [...new Set([...(options.hosts ?? []), "localhost", "127.0.0.1", "::1"])];
  const leaf = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = leaf.publicKey;
  cert.serialNumber = serial();
  if (options.expired) {
    cert.validity.notBefore = new Date(now - 400 * DAY_MS);
    cert.validity.notAfter = new Date(now - 30 * DAY_MS);
  } else {
    cert.validity.notBefore = new Date(now - DAY_MS);
    cert.validity.notAfter = new Date(now + 90 * DAY_MS);
  }
  const subject = [{ name: "commonName", value: hosts[0]! }, { name: "organizationName", value: "mailchat sandbox" }];
  cert.setSubject(subject);
  cert.setIssuer(options.selfSigned ? subject : caName);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })) },
  ]);
  cert.sign(options.selfSigned ? leaf.privateKey : ca.privateKey, forge.md.sha256.create());

  return { caPem: forge.pki.certificateToPem(caCert), certPem: forge.pki.certificateToPem(cert), keyPem: leaf.pem };
}
