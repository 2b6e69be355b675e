// Mail as DNS routes it, against real DNS (NSD with a zone signed at test time, unbound
// validating it), a Node HTTPS policy host under a test CA, and real Postfix behind those names
// (issue 26). Called inside the interop suite's describe, which has started Postfix.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { runCli } from "../helpers/cli.js";
import { missingDnsPrerequisites, startDnsServers, type DnsServers } from "./dns-servers.js";
import type { MailServers } from "./servers.js";

const POLICIES: Record<string, string> = {
  "mta-sts.mailchat.test": "version: STSv1\nmode: enforce\nmx: mx.mailchat.test\nmax_age: 604800\n",
  "mta-sts.testing.mailchat.test": "version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 86400\n",
};

export function dnsInteropTests(mail: () => MailServers): void {
  const missing = missingDnsPrerequisites();
  if (missing) {
    test("DNS servers for the MX, DANE and MTA-STS tests are available", () => {
      const message = `DNS INTEROP TESTS NOT RUN: ${missing}`;
      process.stderr.write(`\n*** ${message} ***\n\n`);
      if (process.env.CI === "true") assert.fail(message);
    });
    return;
  }
  describe("MX, DANE and MTA-STS through NSD and a validating unbound", () => {
    let dns: DnsServers;
    let https: Server;
    let env: Record<string, string>;
    let policyCa = "";
    const run = (file: string, vars: Record<string, string | number>) =>
      runCli(["run", file, "--resolver", dns.resolver, "--ca", mail().caFile, "--ca", policyCa, ...Object.entries({ port: mail().ports.smtp, ...vars }).flatMap(([k, v]) => ["--var", `${k}=${v}`])], { env, timeoutMs: 60_000 });
    const fixture = (name: string) => `test/fixtures/dns/${name}.mailchat`;

    before(async () => {
      const port = mail().ports.smtp;
      const postfixCert = readFileSync(join(mail().dir, "cert.pem"), "utf8");
      const spki = createHash("sha256").update(new X509Certificate(postfixCert).publicKey.export({ type: "spki", format: "der" })).digest("hex");
      const policyCerts = generateCertificates({ hosts: Object.keys(POLICIES) });
      policyCa = join(mail().dir, "policy-ca.pem");
      writeFileSync(policyCa, policyCerts.caPem);
      https = createServer({ key: policyCerts.keyPem, cert: policyCerts.certPem }, (request, response) => {
        const policy = POLICIES[(request.headers.host ?? "").replace(/:\d+$/, "")];
        if (request.url !== "/.well-known/mta-sts.txt" || !policy) return void response.writeHead(404).end();
        response.writeHead(200, { "content-type": "text/plain" }).end(policy);
      });
      const httpsPort = await new Promise<number>((resolvePromise) => https.listen(0, "127.0.0.1", () => resolvePromise((https.address() as { port: number }).port)));
      env = { MAILCHAT_MTA_STS_PORT: String(httpsPort) };
      dns = await startDnsServers([
        {
          name: "mailchat.test",
          signed: true,
          records: [
            "@ IN MX 10 dead.mailchat.test.",
            "@ IN MX 20 mx.mailchat.test.",
            "dead IN A 127.0.0.3",
            "mx IN A 127.0.0.1",
            "mx-bad IN A 127.0.0.1",
            "mx-plain IN A 127.0.0.1",
            `_${port}._tcp.mx IN TLSA 3 1 1 ${spki}`,
            `_${port}._tcp.mx-bad IN TLSA 3 1 1 ${"00".repeat(32)}`,
            '_mta-sts IN TXT "v=STSv1; id=20261206"',
            '_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@mailchat.test"',
            "mta-sts IN A 127.0.0.1",
            "testing IN MX 10 mx.mailchat.test.",
            '_mta-sts.testing IN TXT "v=STSv1; id=1"',
            "mta-sts.testing IN A 127.0.0.1",
            "null IN MX 0 .",
            "client IN A 127.0.0.2",
          ],
        },
        { name: "insecure.test", signed: false, records: ["mx IN A 127.0.0.1", `_${port}._tcp.mx IN TLSA 3 1 1 ${spki}`] },
        { name: "127.in-addr.arpa", signed: false, records: ["1.0.0 IN PTR mx.mailchat.test.", "2.0.0 IN PTR client.mailchat.test."] },
      ]);
    });
    after(() => {
      // The policy host is closed even when stopping the DNS servers throws: left open, it
      // kept the test process (and the interop lock) alive after the suite had ended.
      try {
        dns?.stop();
      } finally {
        https?.close();
      }
    });

    test("recipe:mail-gets-through: the dead first MX is skipped, Postfix at the second accepts the recipient", async () => {
      const result = await run("recipe:mail-gets-through", { domain: "mailchat.test", rcpt: "alice@mailchat.test" });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /\*: mx mailchat\.test: 10 dead\.mailchat\.test, 20 mx\.mailchat\.test\n/);
      assert.match(result.stdout, /\*: dead\.mailchat\.test \[127\.0\.0\.3\] \(MX 10\): connection refused \(ECONNREFUSED\); trying the next address\n\*: reached mx\.mailchat\.test \[127\.0\.0\.1\] \(MX 20\)\n/);
      assert.match(result.stdout, /S: 220 mx\.mailchat\.test ESMTP Postfix/);
    });

    test("from 127.0.0.2: Postfix sees the connection come from that address; its rDNS is forward-confirmed", async () => {
      const result = await run("test/interop/scripts/mx-from.mailchat", {});
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /\*: reached mx\.mailchat\.test \[127\.0\.0\.1\] \(MX 20\) from 127\.0\.0\.2\n/);
      assert.match(result.stdout, /\*: rdns 127\.0\.0\.2: client\.mailchat\.test \(forward-confirmed\)\n/);
      const maillog = readFileSync(join(mail().dir, "postfix", "maillog"), "utf8");
      assert.match(maillog, /connect from \S+\[127\.0\.0\.2\]/);
    });

    test("recipe:mta-sts-dane: rDNS forward-confirmed, enforce policy satisfied, DANE-EE verified with unbound's AD bit", async () => {
      const result = await run("recipe:mta-sts-dane", { domain: "mailchat.test" });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /\*: rdns 127\.0\.0\.1: mx\.mailchat\.test \(forward-confirmed\)\n/);
      assert.match(result.stdout, /\*: mta-sts policy: mode enforce, mx mx\.mailchat\.test, max_age 604800\n/);
      assert.match(result.stdout, /\*: tls-rpt _smtp\._tls\.mailchat\.test: "v=TLSRPTv1; rua=mailto:tlsrpt@mailchat\.test"\n/);
      assert.match(result.stdout, /\*: dane _\d+\._tcp\.mx\.mailchat\.test: verified: DNSSEC-secure: 3 1 1 .* matches the server's certificate \(DANE-EE\)\n/);
    });

    test("a testing policy: the mode holds, an MX it does not list fails `expect mta-sts valid`", async () => {
      const result = await run(fixture("mta-sts-testing"), { domain: "testing.mailchat.test" });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /\*: mta-sts policy: mode testing, mx mx\.elsewhere\.test/);
      assert.match(result.stdout, /mx\.mailchat\.test does not satisfy the MTA-STS policy of testing\.mailchat\.test: mx\.mailchat\.test matches none of the policy's mx patterns/);
    });

    test("DANE outcomes: a signed TLSA that matches nothing, an unsigned zone's TLSA, no TLSA (secure denial)", async () => {
      for (const [outcome, host] of [["mismatch", "mx-bad.mailchat.test"], ["insecure", "mx.insecure.test"], ["absent", "mx-plain.mailchat.test"]] as const) {
        const result = await run(fixture(`dane-${outcome}`), { host });
        assert.equal(result.code, 0, `${outcome}: ${result.stdout}${result.stderr}`);
        assert.match(result.stdout, new RegExp(`\\*: dane _\\d+\\._tcp\\.${host.replace(/\./g, "\\.")}: ${outcome}: `));
      }
      const wrong = await run(fixture("dane-verified"), { host: "mx-bad.mailchat.test" });
      assert.equal(wrong.code, 1, wrong.stdout);
      assert.match(wrong.stdout, /hint: DNSSEC-signed TLSA records that match nothing make DANE-validating MTAs/);
    });

    test("a null MX is a connection failure (exit 3) that names it", async () => {
      const result = await run(fixture("null-mx"), { domain: "null.mailchat.test" });
      assert.equal(result.code, 3, result.stdout);
      assert.match(result.stdout, /null\.mailchat\.test publishes a null MX \(0 \.\): it accepts no mail/);
    });
  });
}
