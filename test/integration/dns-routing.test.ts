// Mail as DNS routes it (issue 26): MX hosts in preference order with a dead first host, a null
// MX, the implicit MX, the source address, reverse DNS, DANE and MTA-STS. Against a real UDP DNS
// server (test/helpers/dns-server.ts) given with --resolver, an SMTP server with STARTTLS on
// 127.0.0.1 under a certificate made by the test CA, and an HTTPS policy host; the interop suite
// does the same against unbound, NSD and Postfix.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { runCli } from "../helpers/cli.js";
import { reverseName, startDnsServer, type TestDnsServer, type TestRecord } from "../helpers/dns-server.js";
import { FIXTURES } from "../helpers/paths.js";

const DIR = join(FIXTURES, "dns");
const HOSTS = ["mx2.dns.test", "mx3.dns.test", "mx4.dns.test", "mx5.dns.test", "mx6.dns.test", "mx7.dns.test", "mta-sts.dns.test", "mta-sts.sts-testing.test"];
const certs = generateCertificates({ hosts: HOSTS });
const work = mkdtempSync(join(tmpdir(), "mailchat-dns-"));
const caFile = join(work, "ca.pem");
writeFileSync(caFile, certs.caPem);

let smtp: SMTPServer;
let smtpPort = 0;
let https: HttpsServer;
let httpsPort = 0;
let dns: TestDnsServer;

function spkiSha256(pem: string): Buffer {
  return createHash("sha256").update(new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" })).digest();
}

const POLICIES: Record<string, string> = {
  "mta-sts.dns.test": "version: STSv1\r\nmode: enforce\r\nmx: mx1.dns.test\r\nmx: *.dns.test\r\nmax_age: 86400\r\n",
  "mta-sts.sts-testing.test": "version: STSv1\r\nmode: testing\r\nmx: mx.elsewhere.test\r\nmax_age: 86400\r\n",
};

before(async () => {
  smtp = new SMTPServer({ key: certs.keyPem, cert: certs.certPem, authOptional: true, banner: "dns test", onData: (stream, _s, done) => stream.on("end", () => done()).resume() });
  smtpPort = await new Promise((resolvePromise) => smtp.listen(0, "127.0.0.1", () => resolvePromise((smtp.server.address() as { port: number }).port)));
  https = createHttpsServer({ key: certs.keyPem, cert: certs.certPem }, (request, response) => {
    const policy = POLICIES[(request.headers.host ?? "").replace(/:\d+$/, "")];
    if (request.url !== "/.well-known/mta-sts.txt" || !policy) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "text/plain" }).end(policy);
  });
  httpsPort = await new Promise((resolvePromise) => https.listen(0, "127.0.0.1", () => resolvePromise((https.address() as { port: number }).port)));
  const tlsa = (host: string, certificate: Buffer, usage = 3, selector = 1, matchingType = 1): TestRecord => ({ name: `_${smtpPort}._tcp.${host}`, type: "TLSA", data: { usage, selector, matchingType, certificate } });
  const der = (pem: string) => new X509Certificate(pem).raw;
  const records: TestRecord[] = [
    { name: "dns.test", type: "MX", data: { preference: 10, exchange: "mx1.dns.test" } },
    { name: "dns.test", type: "MX", data: { preference: 20, exchange: "mx2.dns.test" } },
    { name: "mx1.dns.test", type: "A", data: "127.0.0.3" },
    ...["mx2", "mx3", "mx4", "mx5", "mx6", "mx7", "implicit", "mta-sts"].map((h): TestRecord => ({ name: `${h}.dns.test`, type: "A", data: "127.0.0.1" })),
    { name: "client.dns.test", type: "A", data: "127.0.0.2" },
    { name: "both.dns.test", type: "AAAA", data: "::1" },
    { name: "v6.dns.test", type: "AAAA", data: "::1" },
    { name: `1.${"0.".repeat(31)}ip6.arpa`, type: "PTR", data: "v6.dns.test" },
    { name: "both.dns.test", type: "A", data: "127.0.0.1" },
    { name: reverseName("127.0.0.1"), type: "PTR", data: "mx2.dns.test" },
    { name: reverseName("127.0.0.2"), type: "PTR", data: "client.dns.test" },
    { name: "null.dns.test", type: "MX", data: { preference: 0, exchange: "." } },
    tlsa("mx2.dns.test", spkiSha256(certs.certPem)),
    tlsa("mx3.dns.test", Buffer.alloc(32, 7)),
    tlsa("mx4.dns.test", spkiSha256(certs.certPem)),
    // DANE-TA: the CA's whole certificate, SHA-256; DANE-EE: the leaf's whole certificate, SHA-512.
    tlsa("mx6.dns.test", createHash("sha256").update(der(certs.caPem)).digest(), 2, 0, 1),
    tlsa("mx7.dns.test", createHash("sha512").update(der(certs.certPem)).digest(), 3, 0, 2),
    { name: "_mta-sts.dns.test", type: "TXT", data: "v=STSv1; id=20261206T1" },
    { name: "_smtp._tls.dns.test", type: "TXT", data: "v=TLSRPTv1; rua=mailto:tlsrpt@dns.test" },
    { name: "sts-testing.test", type: "MX", data: { preference: 10, exchange: "mx2.dns.test" } },
    { name: "_mta-sts.sts-testing.test", type: "TXT", data: "v=STSv1; id=1" },
    { name: "mta-sts.sts-testing.test", type: "A", data: "127.0.0.1" },
  ];
  // mx4's zone is not signed: its answers come without the AD bit.
  dns = await startDnsServer(records, { signed: (name) => !name.includes("mx4") });
});

after(async () => {
  await dns.stop();
  await new Promise((resolvePromise) => smtp.close(() => resolvePromise(undefined)));
  await new Promise((resolvePromise) => https.close(() => resolvePromise(undefined)));
});

const run = (script: string, ...extra: string[]) =>
  runCli(["run", join(DIR, script), "--resolver", dns.resolver, "--ca", caFile, "--var", `port=${smtpPort}`, ...extra], { env: { MAILCHAT_MTA_STS_PORT: String(httpsPort) } });

test("connect mx: MX hosts in preference order; a host that refuses is skipped and said why; the source address is shown", async () => {
  const result = await run("mx-route.mailchat");
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\*: mx dns\.test: 10 mx1\.dns\.test, 20 mx2\.dns\.test\n/);
  assert.match(result.stdout, /\*: mx1\.dns\.test \[127\.0\.0\.3\] \(MX 10\): connection refused \(ECONNREFUSED\); trying the next address\n/);
  assert.match(result.stdout, /\*: reached mx2\.dns\.test \[127\.0\.0\.1\] \(MX 20\) from 127\.0\.0\.2\n/);
  assert.match(result.stdout, /\*: rdns 127\.0\.0\.1: mx2\.dns\.test \(forward-confirmed\)\n/);
  assert.match(result.stdout, /\*: rdns 127\.0\.0\.2: client\.dns\.test \(forward-confirmed\)\n/);
  // Two `expect rdns` lines for the server's address, one lookup shown.
  assert.equal(result.stdout.match(/\*: rdns 127\.0\.0\.1:/g)?.length, 1, result.stdout);
});

test("a null MX (RFC 7505) is a located connection failure, exit 3", async () => {
  const result = await run("null-mx.mailchat");
  assert.equal(result.code, 3, result.stdout);
  assert.match(result.stdout, /null MX/);
  assert.match(result.stdout, /null\.dns\.test publishes a null MX \(0 \.\): it accepts no mail/);
  assert.match(result.stdout, /null-mx\.mailchat: step 1 of 2 failed \(connection failed\)/);
});

test("a DNS server that refuses the question is named as the cause, not the domain: exit 3", async () => {
  const closed = await new Promise<number>((resolvePort) => {
    const probe = createNetServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
  const result = await runCli(["run", join(DIR, "null-mx.mailchat"), "--resolver", `127.0.0.1:${closed}`]);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /cause: DNS: the DNS server did not answer the question \(ECONNREFUSED\)/);
});

test("no MX records: the domain itself is the implicit MX (RFC 5321 §5.1)", async () => {
  const result = await run("implicit-mx.mailchat");
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /\*: mx implicit\.dns\.test: no MX records; the domain itself is the implicit MX/);
  assert.match(result.stdout, /\*: reached implicit\.dns\.test \[127\.0\.0\.1\] \(MX 0\)/);
});

test("ipv6 ipv4: the addresses of each family in the order written; ipv6 alone reaches only IPv6", async () => {
  const both = await run("families.mailchat");
  assert.equal(both.code, 0, both.stdout);
  assert.match(both.stdout, /\*: both\.dns\.test \[::1\]: connection refused \(ECONNREFUSED\); trying the next address\n\*: reached both\.dns\.test \[127\.0\.0\.1\]\n/);
  const six = await run("ipv6-only.mailchat");
  assert.equal(six.code, 3, six.stdout);
  assert.match(six.stdout, /connection to both\.dns\.test:\d+ refused/);
});

test("ipv6 from ::1: a server on IPv6 is reached at its AAAA address; its ip6.arpa PTR is forward-confirmed", async () => {
  const v6 = new SMTPServer({ authOptional: true, disabledCommands: ["STARTTLS"], banner: "v6 test" });
  const port = await new Promise<number>((resolvePromise) => v6.listen(0, "::1", () => resolvePromise((v6.server.address() as { port: number }).port)));
  try {
    const result = await runCli(["run", join(DIR, "ipv6-reached.mailchat"), "--resolver", dns.resolver, "--var", `port=${port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\*: reached v6\.dns\.test \[::1\] from ::1\n/);
    assert.match(result.stdout, /\*: rdns ::1: v6\.dns\.test \(forward-confirmed\)\n/);
  } finally {
    await new Promise((resolvePromise) => v6.close(() => resolvePromise(undefined)));
  }
});

test("recipe:mail-gets-through: the MX that answers accepts postmaster@DOMAIN over STARTTLS", async () => {
  const result = await runCli(["run", "recipe:mail-gets-through", "--resolver", dns.resolver, "--var", "domain=dns.test", "--var", `port=${smtpPort}`]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\*: reached mx2\.dns\.test \[127\.0\.0\.1\] \(MX 20\)\n/);
  assert.match(result.stdout, /C: RCPT TO:<postmaster@dns\.test>\nS: 250/);
});

test("recipe:mta-sts-dane: enforce policy satisfied and DANE verified for dns.test; sts-testing.test fails on the mode", async () => {
  const env = { MAILCHAT_MTA_STS_PORT: String(httpsPort) };
  const good = await runCli(["run", "recipe:mta-sts-dane", "--resolver", dns.resolver, "--ca", caFile, "--var", "domain=dns.test", "--var", `port=${smtpPort}`], { env });
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /\*: dane _\d+\._tcp\.mx2\.dns\.test: verified: DNSSEC-secure: 3 1 1 /);
  const testing = await runCli(["run", "recipe:mta-sts-dane", "--resolver", dns.resolver, "--ca", caFile, "--var", "domain=sts-testing.test", "--var", `port=${smtpPort}`], { env });
  assert.equal(testing.code, 1, testing.stdout);
  assert.match(testing.stdout, /expected the MTA-STS policy of sts-testing\.test to be in mode enforce, it is in mode testing/);
});

test("expect mx: a different MX set fails with both sides and a hint", async () => {
  const result = await run("mx-set-differs.mailchat");
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /expected the MX hosts of dns\.test to be mx2\.dns\.test/);
  assert.match(result.stdout, /mx1\.dns\.test, mx2\.dns\.test/);
});

for (const outcome of ["verified", "mismatch", "insecure", "absent"]) {
  test(`expect dane ${outcome} holds for the host that is so, and fails for the others`, async () => {
    const result = await run(`dane-${outcome}.mailchat`);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`\\*: dane _${smtpPort}\\._tcp\\.mx\\d\\.dns\\.test: ${outcome}: `));
    const other = outcome === "verified" ? "mismatch" : "verified";
    const wrong = await run(`dane-${other}.mailchat`, "--var", `host=${{ verified: "mx2", mismatch: "mx3", insecure: "mx4", absent: "mx5" }[outcome]}.dns.test`);
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stdout, new RegExp(`expected DANE to be ${other} for mx\\d\\.dns\\.test, it is ${outcome}`));
  });
}

test("DANE-TA (2 0 1, the CA of the chain) and DANE-EE with the whole certificate and SHA-512 (3 0 2) verify", async () => {
  const ta = await run("dane-verified.mailchat", "--var", "host=mx6.dns.test");
  assert.equal(ta.code, 0, ta.stdout + ta.stderr);
  assert.match(ta.stdout, /verified: DNSSEC-secure: 2 0 1 .* matches certificate 2 of the chain \(DANE-TA\)/);
  const ee = await run("dane-verified.mailchat", "--var", "host=mx7.dns.test");
  assert.equal(ee.code, 0, ee.stdout + ee.stderr);
  assert.match(ee.stdout, /verified: DNSSEC-secure: 3 0 2 .* matches the server's certificate \(DANE-EE\)/);
});

test("the TLSA question asks the resolver for the AD bit", () => {
  assert.ok(dns.queries.some((q) => q.type === "TLSA" && q.ad), JSON.stringify(dns.queries.filter((q) => q.type === "TLSA")));
});

test("MTA-STS enforce: the policy is fetched over HTTPS and shown, the MX matches it, TLS-RPT is shown", async () => {
  const result = await run("mta-sts-enforce.mailchat");
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\*: mta-sts dns\.test: TXT "v=STSv1; id=20261206T1"\n/);
  assert.match(result.stdout, /\*: mta-sts policy: mode enforce, mx mx1\.dns\.test, \*\.dns\.test, max_age 86400\n/);
  assert.match(result.stdout, /\*: tls-rpt _smtp\._tls\.dns\.test: "v=TLSRPTv1; rua=mailto:tlsrpt@dns\.test"\n/);
  // Two `expect mta-sts` lines, one fetch: the policy is shown once.
  assert.equal(result.stdout.match(/\*: mta-sts policy:/g)?.length, 1, result.stdout);
});

test("MTA-STS testing: the mode holds, an MX the policy does not list does not satisfy it", async () => {
  const result = await run("mta-sts-testing.mailchat");
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /mode testing, mx mx\.elsewhere\.test/);
  assert.match(result.stdout, /mx2\.dns\.test does not satisfy the MTA-STS policy of sts-testing\.test: mx2\.dns\.test matches none of the policy's mx patterns \(mx\.elsewhere\.test\)/);
});

test("--resolver takes an address and a port; anything else is a usage error (exit 2)", async () => {
  const result = await runCli(["run", join(DIR, "implicit-mx.mailchat"), "--resolver", "dns.example:53"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--resolver takes an IP address and an optional port/);
});
