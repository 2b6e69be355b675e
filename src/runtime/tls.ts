// TLS for both implicit-TLS connects and STARTTLS upgrades: one handshake function, the facts
// it yields (version, cipher, certificate), and verification that reports OpenSSL's reason
// instead of refusing silently.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP, type Socket } from "node:net";
import * as tls from "node:tls";
import type { ClientCertificateFiles, TlsSettings } from "../compile/steps.js";
import { TLS_HANDSHAKE_TIMEOUT_MS } from "../limits.js";
import { describeChain } from "./chain.js";
import type { CertificateSummary, TlsFacts } from "./events.js";
import { readStapled } from "./ocsp.js";

export interface HandshakeOptions {
  /** The name the certificate must carry: the script's host, or `servername`. */
  host: string;
  settings: TlsSettings;
  /** Extra trust anchors (--ca, the sandbox's CA), added to Node's bundled roots. */
  ca?: string[];
  /** An existing plaintext socket to upgrade (STARTTLS); otherwise a new connection. */
  socket?: Socket;
  port?: number;
  /** Where to connect, when it differs from `host` (the sandbox redirects). */
  address?: string;
  timeoutMs?: number;
}

export class HandshakeError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const SSL_VERSION_UNSUPPORTED = "SSLv3";

/** Versions below TLS 1.2 need OpenSSL's security level 0 to be offered at all. */
function legacyCiphers(settings: TlsSettings): string | undefined {
  if (settings.ciphers) return settings.ciphers;
  const legacy = settings.minVersion === "TLSv1" || settings.minVersion === "TLSv1.1" || settings.maxVersion === "TLSv1" || settings.maxVersion === "TLSv1.1";
  return legacy ? "DEFAULT@SECLEVEL=0" : undefined;
}

interface Credentials {
  cert: string;
  key: string;
  summary: NonNullable<TlsFacts["clientCertificate"]>;
}

/** Read once a step: a load run makes the same handshake thousands of times. */
const credentialsRead = new WeakMap<ClientCertificateFiles, Credentials>();

/**
 * A client certificate's files, read at the first handshake (the compiler checked them). Errors
 * name the file, never its content: the key must not reach any output.
 */
function credentials(files: ClientCertificateFiles): Credentials {
  let read = credentialsRead.get(files);
  if (!read) credentialsRead.set(files, (read = readCredentials(files)));
  return read;
}

function readCredentials(files: ClientCertificateFiles): Credentials {
  const cert = readFileSync(files.cert, "utf8") + (files.chain ? `\n${readFileSync(files.chain, "utf8")}` : "");
  const leaf = new X509Certificate(cert);
  return { cert, key: readFileSync(files.key, "utf8"), summary: { subject: leaf.subject.replace(/\n/g, ", "), fingerprint256: leaf.fingerprint256 } };
}

/** One context per CA set and TLS settings, kept for the run (a fleet or load run makes thousands). */
const contexts = new Map<string, tls.SecureContext>();

/**
 * Node's bundled roots plus the extra trust anchors. `ca: [...tls.rootCertificates, ...extra]`
 * would parse the ~140 roots' PEM again for every handshake (~30 ms each); adding the extra
 * certificates to a default context copies the roots Node has parsed once. `addCACert` is the
 * native context's own method; where a Node lacks it, the slow way still gives the same trust.
 */
function contextWithExtraRoots(ca: string[], settings: ContextSettings, files?: ClientCertificateFiles): tls.SecureContext {
  const key = JSON.stringify([ca, settings.minVersion, settings.maxVersion, settings.ciphers, files]);
  let context = contexts.get(key);
  if (context) return context;
  const native = tls.createSecureContext(settings) as tls.SecureContext & { context: { addCACert?: (pem: string) => void } };
  if (typeof native.context.addCACert === "function") {
    for (const pem of ca) native.context.addCACert(pem);
    context = native;
  } else {
    context = tls.createSecureContext({ ...settings, ca: [...tls.rootCertificates, ...ca] });
  }
  contexts.set(key, context);
  return context;
}

type ContextSettings = { minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; ciphers?: string; cert?: string; key?: string };

export function handshake(options: HandshakeOptions): Promise<{ socket: tls.TLSSocket; facts: TlsFacts }> {
  const { settings } = options;
  if (settings.minVersion === SSL_VERSION_UNSUPPORTED || settings.maxVersion === SSL_VERSION_UNSUPPORTED) {
    return Promise.reject(new HandshakeError("SSLv3 cannot be offered: Node.js's OpenSSL no longer implements it (it is broken by POODLE)", "ERR_SSL_NO_PROTOCOLS_AVAILABLE"));
  }
  const servername = settings.servername ?? (isIP(options.host) ? undefined : options.host);
  // `requestOCSP` is a documented option of tls.connect that @types/node leaves out.
  const connectOptions: tls.ConnectionOptions & { requestOCSP?: boolean } = {
    host: options.host,
    // Verification is judged below, so that a failure can be reported with its reason
    // and `verify off` can still show what was wrong.
    rejectUnauthorized: false,
    // Stapling is asked for on every handshake, as browsers do: the transcript shows what came.
    requestOCSP: true,
  };
  if (settings.alpn) connectOptions.ALPNProtocols = settings.alpn;
  if (servername) connectOptions.servername = servername;
  const versions: ContextSettings = {};
  if (settings.minVersion) versions.minVersion = settings.minVersion as tls.SecureVersion;
  if (settings.maxVersion) versions.maxVersion = settings.maxVersion as tls.SecureVersion;
  const ciphers = legacyCiphers(settings);
  if (ciphers) versions.ciphers = ciphers;
  let client: Credentials | undefined;
  try {
    if (settings.client) {
      client = credentials(settings.client);
      versions.cert = client.cert;
      versions.key = client.key;
    }
  } catch (error) {
    return Promise.reject(new HandshakeError(`the client certificate cannot be used: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? `${(error as NodeJS.ErrnoException).path} is gone` : "its files changed since the script was checked"}`, "ERR_CLIENT_CERTIFICATE"));
  }
  if (options.ca && options.ca.length > 0) {
    try {
      connectOptions.secureContext = contextWithExtraRoots(options.ca, versions, settings.client);
    } catch (error) {
      return Promise.reject(new HandshakeError(describeTlsError(error as Error), (error as NodeJS.ErrnoException).code));
    }
  } else Object.assign(connectOptions, versions);
  if (options.socket) connectOptions.socket = options.socket;
  else {
    connectOptions.port = options.port;
    connectOptions.host = options.address ?? options.host;
  }
  // checkServerIdentity must judge the script's name, not the redirected address.
  const identity = settings.servername ?? options.host;
  // Over a UNIX socket without `servername` there is no name to check (the compiler allows
  // that only with verification off).
  connectOptions.checkServerIdentity = (_name, cert) => (identity ? tls.checkServerIdentity(identity, cert) : undefined);

  return new Promise((resolvePromise, reject) => {
    let settled = false;
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect(connectOptions);
    } catch (error) {
      reject(new HandshakeError((error as Error).message, (error as NodeJS.ErrnoException).code));
      return;
    }
    const timer = setTimeout(() => fail(new HandshakeError(`the TLS handshake did not finish within ${(options.timeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS) / 1000} s`, "ETIMEDOUT")), options.timeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const code = (error as NodeJS.ErrnoException).code;
      reject(error instanceof HandshakeError ? error : new HandshakeError(describeTlsError(error), code));
    };
    socket.once("error", fail);
    socket.once("close", () => fail(new HandshakeError("the server closed the connection during the TLS handshake", "ECONNRESET")));
    const started = Date.now();
    let stapled: Buffer | undefined;
    socket.once("OCSPResponse", (response: Buffer) => (stapled = response));
    let ticket = false;
    socket.once("session", () => (ticket = true));
    socket.once("secureConnect", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.removeAllListeners("close");
      const facts = tlsFacts(socket, settings, servername, { ca: options.ca ?? [], stapled, client });
      if (ticket || facts.version !== "TLSv1.3") return resolvePromise({ socket, facts });
      awaitTicket(socket, Date.now() - started, () => resolvePromise({ socket, facts }));
    });
  });
}

/**
 * After a TLS 1.3 handshake the server sends its session tickets, unasked, once it has the
 * client's Finished. A command sent before they arrive makes the client's kernel delay its
 * ACK of them (40 ms on Linux), and a server with Nagle's algorithm on (Postfix) holds its
 * reply until that ACK: the first reply after STARTTLS came 40 ms late, every session. Sent
 * after the tickets, the command carries the ACK. The wait is bounded by the handshake's own
 * time (the tickets are one round trip behind it), so a server that sends none costs about
 * one round trip, once.
 */
function awaitTicket(socket: tls.TLSSocket, handshakeMs: number, done: () => void): void {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(bound);
    socket.removeListener("session", onTicket);
    socket.removeListener("close", finish);
    socket.removeListener("error", finish);
    done();
  };
  // The ticket arrives inside OpenSSL's read: a write from there would be lost, so the
  // command goes on the next turn of the loop.
  const onTicket = () => setImmediate(finish);
  const bound = setTimeout(finish, Math.min(Math.max(handshakeMs, 5), 200));
  socket.once("session", onTicket);
  socket.once("close", finish);
  socket.once("error", finish);
}

function describeTlsError(error: Error): string {
  // OpenSSL's messages look like "…:SSL routines:ssl3_get_record:wrong version number"; keep the reason.
  const reason = /routines:[^:]*:([^:\n]+)/.exec(error.message)?.[1] ?? error.message.split("\n")[0]!;
  return `TLS handshake failed: ${reason}`;
}

function tlsFacts(socket: tls.TLSSocket, settings: TlsSettings, servername: string | undefined, extra: { ca: string[]; stapled: Buffer | undefined; client: Credentials | undefined }): TlsFacts {
  const cipher = socket.getCipher();
  const facts: TlsFacts = {
    version: socket.getProtocol() ?? "unknown",
    cipher: cipher.standardName ?? cipher.name,
    authorized: socket.authorized,
    verify: settings.verify,
  };
  if (!socket.authorized && socket.authorizationError) facts.authorizationError = String(socket.authorizationError);
  if (servername) facts.servername = servername;
  if (socket.alpnProtocol) facts.alpn = socket.alpnProtocol;
  if (extra.client) facts.clientCertificate = extra.client.summary;
  const certificate = socket.getPeerCertificate(true);
  if (!certificate || Object.keys(certificate).length === 0) return facts;
  facts.certificate = summarize(certificate);
  // What a hostile server sends must not end the run here: a certificate OpenSSL accepted
  // but Node cannot take apart is reported as such.
  try {
    const chain = describeChain(certificate, extra.ca);
    facts.chain = chain.certificates;
    facts.chainVerdict = chain.verdict;
    try {
      facts.ocsp = readStapled(extra.stapled, chain.x509);
    } catch (error) {
      facts.ocsp = { status: "invalid", problem: `the stapled response cannot be read: ${(error as Error).message}` };
    }
  } catch (error) {
    facts.chainVerdict = { complete: false, reason: `the chain cannot be read: ${(error as Error).message}` };
  }
  return facts;
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return "";
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : value}`)
    .join(", ");
}

const DAY_MS = 86_400_000;

export function summarize(certificate: tls.PeerCertificate): CertificateSummary {
  const validTo = new Date(certificate.valid_to);
  return {
    subject: distinguishedName(certificate.subject),
    issuer: distinguishedName(certificate.issuer),
    subjectAltNames: (certificate.subjectaltname ?? "")
      .split(/,\s*/)
      .filter(Boolean)
      .map((entry) => entry.replace(/^(DNS|IP Address):/, "")),
    validFrom: new Date(certificate.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - Date.now()) / DAY_MS),
    fingerprint256: certificate.fingerprint256,
  };
}

/** OpenSSL's verification codes, in words a mail administrator can act on. */
export const VERIFY_REASONS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: "the certificate chain ends in a self-signed certificate that is not trusted",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the certificate is self-signed",
  CERT_HAS_EXPIRED: "the certificate has expired",
  CERT_NOT_YET_VALID: "the certificate is not valid yet (check the server's clock)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the certificate's issuer is unknown (is an intermediate certificate missing from the server's chain?)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the certificate's issuer is not in the trust store (an intermediate may be missing)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the certificate is for another host name",
  CERT_REVOKED: "the certificate is revoked",
};

export function describeVerifyError(code: string): string {
  return VERIFY_REASONS[code] ?? `verification failed: ${code}`;
}
