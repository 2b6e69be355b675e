// A small public-key infrastructure made at test time with Debian's `openssl`: a root, an
// intermediate, server certificates (RSA and EC) issued by the intermediate, a client
// certificate, and a delegated OCSP responder whose `openssl ocsp` answers say good or
// revoked. Everything lives in a temporary directory the caller removes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  /** Paths of PEM files. */
  root: string;
  intermediate: string;
  /** The RSA server certificate (CN=localhost, SAN localhost and 127.0.0.1) and its key. */
  leaf: string;
  leafKey: string;
  /** The leaf followed by the intermediate: what a well-configured server sends. */
  leafChain: string;
  /** An EC P-256 server certificate issued by the intermediate, and its key. */
  ecLeaf: string;
  ecKey: string;
  /** A client certificate (CN=mailchat client, clientAuth) issued by the intermediate. */
  client: string;
  clientKey: string;
  /** DER OCSP responses for the RSA leaf, signed by the delegated responder. */
  ocspGood: string;
  ocspRevoked: string;
  /** `openssl x509 -fingerprint -sha256` of a PEM file, as hex without colons. */
  fingerprint(file: string): string;
  remove(): void;
}

function openssl(dir: string, args: string[]): string {
  return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function issue(dir: string, name: string, subject: string, issuer: string | undefined, extensions: string, key = "rsa:2048"): void {
  const keyArgs = key === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", key];
  writeFileSync(join(dir, `${name}.ext`), extensions);
  if (!issuer) {
    openssl(dir, ["req", "-x509", ...keyArgs, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-subj", subject, "-days", "30", "-sha256", "-extensions", "v3", "-config", `${name}.ext`]);
    return;
  }
  openssl(dir, ["req", "-new", ...keyArgs, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "20", "-sha256", "-extfile", `${name}.ext`, "-extensions", "v3"]);
}

const CA = "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
const SERVER = "[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n";

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-pki-"));
  issue(dir, "root", "/CN=mailchat test root", undefined, CA);
  issue(dir, "intermediate", "/CN=mailchat test intermediate", "root", CA.replace(/^\[req\][\s\S]*?\[v3\]\n/, "[v3]\n"));
  issue(dir, "leaf", "/CN=localhost", "intermediate", SERVER);
  issue(dir, "ec", "/CN=localhost", "intermediate", SERVER, "ec");
  issue(dir, "client", "/CN=mailchat client", "intermediate", "[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
  issue(dir, "responder", "/CN=mailchat test OCSP responder", "intermediate", "[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n");
  writeFileSync(join(dir, "leaf-chain.pem"), readFileSync(join(dir, "leaf.pem"), "utf8") + readFileSync(join(dir, "intermediate.pem"), "utf8"));

  // `openssl ocsp` answers from a CA database (the format `openssl ca` keeps): V valid, R revoked.
  const serial = openssl(dir, ["x509", "-in", "leaf.pem", "-noout", "-serial"]).trim().replace(/^serial=/, "");
  const subject = "/CN=localhost";
  const expiry = "491231235959Z";
  writeFileSync(join(dir, "index-good.txt"), `V\t${expiry}\t\t${serial}\tunknown\t${subject}\n`);
  writeFileSync(join(dir, "index-revoked.txt"), `R\t${expiry}\t260101000000Z,keyCompromise\t${serial}\tunknown\t${subject}\n`);
  openssl(dir, ["ocsp", "-issuer", "intermediate.pem", "-cert", "leaf.pem", "-no_nonce", "-reqout", "request.der"]);
  for (const status of ["good", "revoked"]) {
    openssl(dir, ["ocsp", "-index", `index-${status}.txt`, "-CA", "intermediate.pem", "-rsigner", "responder.pem", "-rkey", "responder.key", "-reqin", "request.der", "-respout", `ocsp-${status}.der`, "-ndays", "2"]);
  }
  const path = (name: string) => join(dir, name);
  return {
    dir,
    root: path("root.pem"),
    intermediate: path("intermediate.pem"),
    leaf: path("leaf.pem"),
    leafKey: path("leaf.key"),
    leafChain: path("leaf-chain.pem"),
    ecLeaf: path("ec.pem"),
    ecKey: path("ec.key"),
    client: path("client.pem"),
    clientKey: path("client.key"),
    ocspGood: path("ocsp-good.der"),
    ocspRevoked: path("ocsp-revoked.der"),
    fingerprint: (file) => openssl(dir, ["x509", "-in", file, "-noout", "-fingerprint", "-sha256"]).trim().replace(/^.*=/, "").replace(/:/g, ""),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
