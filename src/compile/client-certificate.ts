// `cert "c.pem" key "k.pem" [chain "ca.pem"]` on `connect` or `starttls`: the files are
// found relative to the script and checked now — each readable, PEM of the right kind, the
// key unencrypted and the certificate's own — so a wrong path or a mismatched pair is a
// compile error, not a handshake the server refuses for reasons it does not say. No message
// here ever quotes a file's content: the key must not reach any output.
import type { X509Certificate } from "node:crypto";
import { crypto } from "../builtins.js";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { describeFsError } from "./load.js";
import type { ReportError, Scope } from "./scope.js";
import type { ClientCertificateFiles } from "./steps.js";

type FileOption = Extract<A.TlsOption, { kind: "client-cert" | "client-key" | "client-chain" }>;

const WORD: Record<FileOption["kind"], string> = { "client-cert": "cert", "client-key": "key", "client-chain": "chain" };

function read(option: FileOption, scope: Scope, error: ReportError): { path: string; written: string; text: string } | undefined {
  const written = scope.known(option.path, `a \`${WORD[option.kind]}\` path`);
  if (written === undefined) return undefined;
  const path = resolve(dirname(option.span.file), written);
  try {
    return { path, written, text: readFileSync(path, "utf8") };
  } catch (failure) {
    error("client-cert-unreadable", `cannot read the ${WORD[option.kind]} file ${written}: ${describeFsError(failure)}`, option.path.span, `paths are relative to ${dirname(option.span.file)}`);
    return undefined;
  }
}

export function clientCertificate(options: FileOption[], scope: Scope, error: ReportError): ClientCertificateFiles | undefined {
  const find = (kind: FileOption["kind"]) => options.find((o) => o.kind === kind);
  const certOption = find("client-cert");
  const keyOption = find("client-key");
  const chainOption = find("client-chain");
  if (!certOption || !keyOption) {
    const given = (certOption ?? keyOption ?? chainOption)!;
    error("client-cert-incomplete", `a client certificate needs both \`cert\` and \`key\`; this has only \`${WORD[given.kind]}\``, given.span, 'e.g. `starttls cert "client.pem" key "client.key"` (a PEM file holding both may be named twice)');
    return undefined;
  }
  const cert = read(certOption, scope, error);
  const key = read(keyOption, scope, error);
  const chain = chainOption ? read(chainOption, scope, error) : undefined;
  if (!cert || !key || (chainOption && !chain)) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new (crypto().X509Certificate)(cert.text);
  } catch {
    error("client-cert-invalid", `${cert.written} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`, certOption.path.span);
    return undefined;
  }
  if (chain && !chain.text.includes("-----BEGIN CERTIFICATE-----")) {
    error("client-cert-invalid", `the chain file ${chain.written} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`, chainOption!.path.span);
    return undefined;
  }
  let privateKey: ReturnType<typeof import("node:crypto").createPrivateKey>;
  try {
    privateKey = crypto().createPrivateKey(key.text);
  } catch (failure) {
    const encrypted = /ENCRYPTED|passphrase/i.test(key.text.slice(0, 200)) || /passphrase/i.test((failure as Error).message);
    error("client-key-invalid", encrypted ? `the key file ${key.written} is encrypted: mailchat reads unencrypted keys only` : `${key.written} holds no private key mailchat can read (PEM: "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA/EC PRIVATE KEY-----")`, keyOption.path.span, encrypted ? `decrypt a copy, kept with mode 0600: openssl pkey -in ${key.written} -out client.key` : undefined);
    return undefined;
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    error("client-key-mismatch", `the key in ${key.written} is not the key of the certificate in ${cert.written}`, keyOption.path.span, "the server would refuse the handshake: name the key the certificate was issued for");
    return undefined;
  }
  const files: ClientCertificateFiles = { cert: cert.path, key: key.path };
  if (chain) files.chain = chain.path;
  return files;
}
