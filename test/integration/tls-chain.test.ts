// The certificate chain, OCSP stapling, ALPN and client certificates, on real TLS sockets on
// 127.0.0.1 with certificates made at test time by openssl: Node TLS servers configured
// as each case needs, and openssl s_server stapling what an `openssl ocsp` responder says.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { readStapled } from "../../src/runtime/ocsp.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";
import { makePki, type Pki } from "../helpers/pki.js";
import { startTlsSmtpServer, type TlsSmtpServer } from "../helpers/tls-smtp-server.js";

const fixture = (name: string) => join(FIXTURES, "tls", `${name}.mailchat`);
let pki: Pki;
const servers: TlsSmtpServer[] = [];
const processes: ChildProcess[] = [];

before(() => {
  pki = makePki();
});
after(async () => {
  for (const server of servers) await server.close();
  for (const child of processes) child.kill();
  pki?.remove();
});

async function server(options: Parameters<typeof startTlsSmtpServer>[0]): Promise<number> {
  const started = await startTlsSmtpServer(options);
  servers.push(started);
  return started.port;
}

function run(script: string, vars: Record<string, string | number>, extra: string[] = []) {
  return runCli(["run", script, "--ca", pki.root, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}=${v}`]), ...extra], { timeoutMs: 30_000 });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePromise(port));
    });
  });
}

/** An openssl daemon (s_server, ocsp), once it says it accepts; stopped after the tests. */
function daemon(args: string[], input?: string): Promise<void> {
  const child = spawn("openssl", args, { cwd: pki.dir, stdio: ["pipe", "pipe", "pipe"] });
  processes.push(child);
  // s_server sends what it reads on standard input to the client: an SMTP greeting.
  if (input) child.stdin!.write(input);
  return new Promise((resolvePromise, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`openssl ${args[0]} did not start: ${output}`)), 10_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (/ACCEPT/.test(output)) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
  });
}

test("the chain is shown certificate by certificate and asserted: complete, intermediate, key, signature, pinned fingerprint", async () => {
  const port = await server({ cert: pki.leafChain, key: pki.leafKey });
  const result = await run(fixture("chain-complete"), { port, pin: pki.fingerprint(pki.leaf) });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\*: chain \[0\] CN=localhost, issued by CN=mailchat test intermediate, expires \d{4}-\d\d-\d\d, RSA 2048, sha256WithRSAEncryption, sha256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
  assert.match(result.stdout, /\*: chain \[1\] CN=mailchat test intermediate, issued by CN=mailchat test root, /);
  assert.match(result.stdout, /\*: chain \[2\] CN=mailchat test root, self-signed, trusted root, /);
  assert.match(result.stdout, /\*: chain complete to a trusted root\n/);
});

test("a pin that is not the server's certificate fails, with both fingerprints", async () => {
  const port = await server({ cert: pki.leafChain, key: pki.leafKey });
  const result = await run(fixture("chain-complete"), { port, pin: pki.fingerprint(pki.root) });
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /expect cert fingerprint[\s\S]*not the pinned one[\s\S]*expected: [0-9A-F]{64}\n\s*actual:\s+[0-9A-F]{64}/);
});

test("a server that leaves out its intermediate: the chain is incomplete, the run says which issuer is missing, JSON lines say so", async () => {
  const port = await server({ cert: pki.leaf, key: pki.leafKey });
  const result = await run(fixture("chain-missing-intermediate"), { port });
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /\*: chain INCOMPLETE: the chain ends at \[0\] CN=localhost: its issuer CN=mailchat test intermediate was neither sent by the server nor found in the trust store/);
  assert.match(result.stdout, /✘ .*chain-missing-intermediate\.mailchat:6:1 +expect cert chain complete\n +the certificate chain is not complete: .*an intermediate certificate is missing/);
  // A fleet's JSON lines say it per host.
  const lines = await run(fixture("chain-missing-intermediate"), { port }, ["--reporter", "jsonl"]);
  const record = JSON.parse(lines.stdout.trim()) as { tls: { chainComplete: boolean; ocsp: string; verified: boolean } };
  assert.deepEqual([record.tls.chainComplete, record.tls.ocsp, record.tls.verified], [false, "absent", false]);
});

test("a self-signed certificate the run does not trust ends an incomplete chain; trusted with --ca, it completes it", async () => {
  const port = await server({ cert: pki.root, key: join(pki.dir, "root.key") });
  const untrusted = await runCli(["run", fixture("chain-missing-intermediate"), "--var", `port=${port}`]);
  assert.equal(untrusted.code, 1, untrusted.stdout);
  assert.match(untrusted.stdout, /\*: chain \[0\] CN=mailchat test root, self-signed, NOT trusted, /);
  assert.match(untrusted.stdout, /the chain ends at \[0\] CN=mailchat test root, a self-signed certificate that is not a trusted root \(trust it with --ca\)/);
  const trusted = await run(fixture("chain-missing-intermediate"), { port });
  assert.equal(trusted.code, 0, trusted.stdout);
});

test("--save-certs writes the chain as PEM, leaf first, that openssl verifies; --reporter json carries the chain", async () => {
  const port = await server({ cert: pki.leafChain, key: pki.leafKey });
  const dir = mkdtempSync(join(tmpdir(), "mailchat-certs-"));
  try {
    const result = await run(fixture("chain-complete"), { port, pin: pki.fingerprint(pki.leaf) }, ["--save-certs", join(dir, "new"), "--reporter", "json"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const saved = join(dir, "new", `localhost_${port}.pem`);
    const pem = readFileSync(saved, "utf8");
    assert.equal(pem.match(/-----BEGIN CERTIFICATE-----/g)?.length, 3);
    assert.match(pem, /^# \[0\] s:CN=localhost\n#     i:CN=mailchat test intermediate\n-----BEGIN CERTIFICATE-----/m);
    assert.equal(execFileSync("openssl", ["x509", "-in", saved, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" }).trim().replace(/^.*=|:/g, ""), pki.fingerprint(pki.leaf));
    assert.match(execFileSync("openssl", ["verify", "-CAfile", pki.root, "-untrusted", saved, saved], { encoding: "utf8" }), /: OK/);
    const report = JSON.parse(result.stdout) as { runs: Array<{ tls: Array<{ chain: Array<Record<string, unknown>>; chainVerdict: { complete: boolean }; ocsp: { status: string } }> }> };
    const facts = report.runs[0]!.tls[0]!;
    assert.deepEqual(facts.chain.map((c) => [c.depth, c.subject, c.keyType, c.keyBits, c.signatureAlgorithm, c.selfSigned, c.trusted]), [
      [0, "CN=localhost", "RSA", 2048, "sha256WithRSAEncryption", false, false],
      [1, "CN=mailchat test intermediate", "RSA", 2048, "sha256WithRSAEncryption", false, false],
      [2, "CN=mailchat test root", "RSA", 2048, "sha256WithRSAEncryption", true, true],
    ]);
    assert.equal(facts.chainVerdict.complete, true);
    assert.equal(facts.ocsp.status, "absent");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--save-certs into a path that is a file is refused before anything is sent", async () => {
  const result = await runCli(["run", fixture("chain-missing-intermediate"), "--var", "port=1", "--save-certs", pki.root]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--save-certs .*root\.pem: not a directory/);
});

test("an EC certificate and ALPN: the protocol the server picked from those offered, or none", async () => {
  const chain = join(pki.dir, "ec-chain.pem");
  writeFileSync(chain, readFileSync(pki.ecLeaf, "utf8") + readFileSync(pki.intermediate, "utf8"));
  const port = await server({ cert: chain, key: pki.ecKey, alpn: ["smtp"] });
  const result = await run(fixture("ec-key-alpn"), { port });
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /\*: chain \[0\] CN=localhost, issued by CN=mailchat test intermediate, expires \S+, EC P-256, sha256WithRSAEncryption, /);
  assert.match(result.stdout, /\*: alpn smtp\n/);
  const refused = await server({ cert: chain, key: pki.ecKey });
  const none = await run(fixture("ec-key-alpn"), { port: refused });
  assert.equal(none.code, 1, none.stdout);
  assert.match(none.stdout, /expected ALPN to settle on "smtp", but no protocol was agreed/);
});

test("OCSP stapled by a Node server: good, revoked (with its reason), absent", async () => {
  const good = await server({ cert: pki.leafChain, key: pki.leafKey, staple: pki.ocspGood });
  const revoked = await server({ cert: pki.leafChain, key: pki.leafKey, staple: pki.ocspRevoked });
  const absent = await server({ cert: pki.leafChain, key: pki.leafKey });
  const result = await run(fixture("ocsp-statuses"), { good, revoked, absent });
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /\*: ocsp stapled: good, next update /);
  assert.match(result.stdout, /\*: ocsp stapled: revoked since 2026-01-01T00:00:00\.000Z \(keyCompromise\)/);
  // Swapped, each expectation fails with what was stapled.
  const swapped = await run(fixture("ocsp-statuses"), { good: revoked, revoked: absent, absent: good });
  assert.equal(swapped.code, 1);
  assert.match(swapped.stdout, /expected OCSP good: the stapled OCSP response says revoked since/);
});

test("OCSP stapled for another certificate is not taken for this one's", async () => {
  const chain = join(pki.dir, "ec-chain-staple.pem");
  writeFileSync(chain, readFileSync(pki.ecLeaf, "utf8") + readFileSync(pki.intermediate, "utf8"));
  const wrong = await server({ cert: chain, key: pki.ecKey, staple: pki.ocspGood });
  const absent = await server({ cert: pki.leafChain, key: pki.leafKey });
  const result = await run(fixture("ocsp-statuses"), { good: wrong, revoked: absent, absent });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /\*: ocsp stapled: invalid: the response is about another certificate/);
});

test("a stapled OCSP response whose signature was tampered with is invalid, not good", async () => {
  const tampered = join(pki.dir, "ocsp-tampered.der");
  const bytes = readFileSync(pki.ocspGood);
  // The signature BIT STRING ends the BasicOCSPResponse unless certificates follow it; the
  // responder's certificate does, so flip a byte inside the signature, found by its length.
  const signatureAt = bytes.lastIndexOf(Buffer.from([0x03, 0x82, 0x01, 0x01, 0x00]));
  assert.ok(signatureAt > 0, "an RSA-2048 signature BIT STRING");
  bytes[signatureAt + 10]! ^= 0xff;
  writeFileSync(tampered, bytes);
  const good = await server({ cert: pki.leafChain, key: pki.leafKey, staple: tampered });
  const absent = await server({ cert: pki.leafChain, key: pki.leafKey });
  const result = await run(fixture("ocsp-statuses"), { good, revoked: absent, absent });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /\*: ocsp stapled: invalid: the response's signature is not the issuer's nor a responder's the issuer delegated to/);
  assert.match(result.stdout, /expected OCSP good: the stapled OCSP response is unusable/);
});

test("a stapled response is judged against the clock: good while current, stale after nextUpdate, refused from the future", () => {
  const chain = [new X509Certificate(readFileSync(pki.leaf)), new X509Certificate(readFileSync(pki.intermediate))];
  const response = readFileSync(pki.ocspGood);
  const day = 86_400_000;
  assert.equal(readStapled(response, chain).status, "good");
  const stale = readStapled(response, chain, Date.now() + 3 * day);
  assert.deepEqual([stale.status, /^the response is stale: it was good until /.test(stale.problem ?? "")], ["invalid", true]);
  const early = readStapled(response, chain, Date.now() - day);
  assert.deepEqual([early.status, /from the future/.test(early.problem ?? "")], ["invalid", true]);
  // Without the issuer, nothing can be checked.
  assert.equal(readStapled(response, chain.slice(0, 1)).status, "invalid");
  assert.equal(readStapled(Buffer.from("not DER"), chain).status, "invalid");
});

test("OCSP stapled by openssl s_server: fetched from an `openssl ocsp` responder (-status_url), from a file (-status_file), or none", async () => {
  const [responder, good, revoked, absent] = [await freePort(), await freePort(), await freePort(), await freePort()];
  await daemon(["ocsp", "-index", "index-good.txt", "-port", String(responder), "-rsigner", "responder.pem", "-rkey", "responder.key", "-CA", "intermediate.pem", "-ndays", "1"]);
  const sServer = (port: number, status: string[]) => daemon(["s_server", "-accept", `127.0.0.1:${port}`, "-cert", "leaf.pem", "-key", "leaf.key", "-cert_chain", "intermediate.pem", "-CAfile", "intermediate.pem", ...status, "-naccept", "1"], "220 openssl s_server\r\n");
  await sServer(good, ["-status", "-status_url", `http://127.0.0.1:${responder}/`]);
  await sServer(revoked, ["-status_file", "ocsp-revoked.der"]);
  await sServer(absent, []);
  const result = await run(fixture("ocsp-statuses"), { good, revoked, absent });
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /S: 220 openssl s_server/);
  assert.match(result.stdout, /\*: ocsp stapled: good/);
  assert.match(result.stdout, /\*: ocsp stapled: revoked/);
});

test("a client certificate on connect and on starttls (ALPN there too), paths relative to the script; none when not given", async () => {
  const smtps = await server({ cert: pki.leafChain, key: pki.leafKey, requestCert: true });
  const smtp = await server({ cert: pki.leafChain, key: pki.leafKey, requestCert: true, starttls: true, alpn: ["smtp"] });
  const script = join(pki.dir, "client-cert.mailchat");
  copyFileSync(fixture("client-cert"), script);
  const result = await run(script, { smtps, smtp });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\*: client cert CN=mailchat client, sha256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
  assert.doesNotMatch(result.stdout + result.stderr, /PRIVATE KEY/);
});

test("a key that is not the certificate's is a compile error that never shows the key", async () => {
  const script = join(pki.dir, "wrong-key.mailchat");
  writeFileSync(script, 'connect smtps://localhost:1 cert "client.pem" key "leaf.key"\nexpect 220\n');
  const result = await runCli(["run", script]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /error: the key in leaf\.key is not the key of the certificate in client\.pem/);
  const key = readFileSync(pki.leafKey, "utf8").split("\n")[1]!;
  assert.doesNotMatch(result.stderr + result.stdout, new RegExp(`PRIVATE KEY|${key.slice(0, 20).replace(/[+/]/g, "\\$&")}`));
});

test("chains met again in one run are described as the first time, and another server's as its own", async () => {
  const full = await server({ cert: pki.leafChain, key: pki.leafKey });
  const bare = await server({ cert: pki.leaf, key: pki.leafKey });
  const result = await run(fixture("chain-three-sessions"), { full, bare });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const sessions = result.stdout.split(/^\*: connect /m).slice(1).map((session) => session.split("\n").filter((line) => /^\*: (chain|cert) /.test(line)).join("\n"));
  assert.equal(sessions.length, 3);
  assert.equal(sessions[2], sessions[0]);
  assert.match(sessions[0]!, /\*: chain complete to a trusted root$/);
  assert.match(sessions[1]!, /\*: chain INCOMPLETE: the chain ends at \[0\] CN=localhost/);
});
