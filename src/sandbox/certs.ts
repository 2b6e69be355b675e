// Certificates made at start: a CA and a server certificate signed by it, so that mailchat
// can verify the sandbox the way it verifies a real server. node-forge lays out the X.509;
// keys and signatures are Node's native crypto (forge's pure-JS RSA takes ~100 ms a
// signature). Generating two RSA keys costs ~400 ms, so the keys are kept in the user's cache
// directory (mode 0600; MAILCHAT_CACHE_DIR overrides it). The certificates, which carry the
// script's host names, are kept there too, one file a set of names, and made anew when
// missing or within a week of expiring: then node-forge (~50 ms to load and sign) is not
// even loaded.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { isIP } from "node:net";
import type forgeModule from "node-forge";
import writeFileAtomic from "write-file-atomic";
import { cacheDir } from "../cache-dir.js";

type Forge = typeof forgeModule;
let loaded: Forge | undefined;
/** node-forge, loaded on first use: a start from cached certificates never needs it. */
function forgeLib(): Forge {
  return (loaded ??= createRequire(import.meta.url)("node-forge") as Forge);
}

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

interface KeyPair {
  key: KeyObject;
  publicKey: forgeModule.pki.rsa.PublicKey;
  pem: string;
}

function fromPem(pem: string): KeyPair {
  const forge = forgeLib();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forgeModule.pki.rsa.PrivateKey;
  return { key: createPrivateKey(pem), publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function newPem(): string {
  return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
}

/** The CA's and the server's keys: from the cache, or made now (and cached when it can). */
function keyPairs(): { ca: KeyPair; leaf: KeyPair } {
  const dir = cacheDir();
  const file = join(dir, "sandbox-keys.pem");
  try {
    const pems = readFileSync(file, "utf8").match(/-----BEGIN RSA PRIVATE KEY-----[\s\S]*?-----END RSA PRIVATE KEY-----\n?/g);
    if (pems?.length === 2) return { ca: fromPem(pems[0]!), leaf: fromPem(pems[1]!) };
  } catch {
    // no cache yet, or unreadable: make new keys
  }
  const pems = [newPem(), newPem()];
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic.sync(file, pems.join(""), { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch {
    // a read-only home: the keys live for this run only
  }
  return { ca: fromPem(pems[0]!), leaf: fromPem(pems[1]!) };
}

/** forge's cert.sign, with the signature made by Node's native RSA. */
function signCertificate(cert: forgeModule.pki.Certificate, key: KeyObject): void {
  const forge = forgeLib();
  const md = forge.md.sha256.create();
  cert.md = md;
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  // getTBSCertificate is forge's own (pki.js), missing from its type definitions.
  cert.tbsCertificate = (forge.pki as unknown as { getTBSCertificate(c: forgeModule.pki.Certificate): forgeModule.asn1.Asn1 }).getTBSCertificate(cert);
  cert.signature = sign("sha256", Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), "binary"), key).toString("binary");
}

function serial(): string {
  // Positive serial number: the top bit clear.
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString("hex");
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----\n?/g;

/** Certificates made earlier for the same names and faults, while they have a week left. */
function cachedCertificates(file: string, expired: boolean): CertificateSet | undefined {
  try {
    const [caPem, certPem, keyPem] = readFileSync(file, "utf8").match(PEM_BLOCK) ?? [];
    if (!caPem || !certPem || !keyPem) return undefined;
    const left = (pem: string) => Date.parse(new X509Certificate(pem).validTo) - Date.now();
    if (left(caPem) < 7 * DAY_MS || (!expired && left(certPem) < 7 * DAY_MS)) return undefined;
    return { caPem, certPem, keyPem };
  } catch {
    return undefined;
  }
}

export function generateCertificates(options: CertificateOptions = {}): CertificateSet {
  const names = [...new Set([...(options.hosts ?? []), "localhost", "127.0.0.1", "::1"])].sort();
  const id = createHash("sha256").update(JSON.stringify({ names, expired: Boolean(options.expired), selfSigned: Boolean(options.selfSigned) })).digest("hex").slice(0, 16);
  const file = join(cacheDir(), `sandbox-certs-${id}.pem`);
  const cached = cachedCertificates(file, Boolean(options.expired));
  if (cached) return cached;
  const made = makeCertificates(options);
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    writeFileAtomic.sync(file, `${made.caPem}${made.certPem}${made.keyPem}`, { mode: 0o600 });
  } catch {
    // a read-only home: made again next time
  }
  return made;
}

function makeCertificates(options: CertificateOptions): CertificateSet {
  const forge = forgeLib();
  const now = Date.now();
  const { ca, leaf } = keyPairs();
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
  signCertificate(caCert, ca.key);

  const hosts = [...new Set([...(options.hosts ?? []), "localhost", "127.0.0.1", "::1"])];
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
  signCertificate(cert, options.selfSigned ? leaf.key : ca.key);

  return { caPem: forge.pki.certificateToPem(caCert), certPem: forge.pki.certificateToPem(cert), keyPem: leaf.pem };
}
