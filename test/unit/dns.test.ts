// The pure parts of mail routing: reverse names, --resolver's form, MTA-STS policies and mx
// patterns, and the MX order (equal preferences by name, so transcripts are reproducible).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DnsClient, parseResolver, reverseName } from "../../src/dns/client.js";
import { mxMatches, parsePolicy } from "../../src/dns/mta-sts.js";
import { resolveMx } from "../../src/dns/mx.js";
import { startDnsServer } from "../helpers/dns-server.js";

test("reverse names: in-addr.arpa for IPv4, every nibble under ip6.arpa for IPv6", () => {
  assert.equal(reverseName("192.0.2.10"), "10.2.0.192.in-addr.arpa");
  assert.equal(reverseName("2001:db8::1"), `1.0.0.0.${"0.0.0.0.".repeat(5)}8.b.d.0.1.0.0.2.ip6.arpa`);
  assert.equal(reverseName("::1"), `1.${"0.".repeat(31)}ip6.arpa`);
});

test("--resolver: an address with an optional port; a name or a bad port is refused", () => {
  assert.deepEqual(parseResolver("127.0.0.1"), { address: "127.0.0.1", port: 53 });
  assert.deepEqual(parseResolver("127.0.0.1:5353"), { address: "127.0.0.1", port: 5353 });
  assert.deepEqual(parseResolver("[::1]:5353"), { address: "::1", port: 5353 });
  assert.deepEqual(parseResolver("::1"), { address: "::1", port: 53 });
  for (const bad of ["dns.example", "127.0.0.1:0", "127.0.0.1:70000", "300.1.1.1", ""]) assert.ok("error" in parseResolver(bad), bad);
});

test("an MTA-STS policy: fields read, bad ones named", () => {
  assert.deepEqual(parsePolicy("version: STSv1\r\nmode: enforce\r\nmx: MX1.example.com.\r\nmx: *.example.net\r\nmax_age: 86400\r\n"), { mode: "enforce", mx: ["mx1.example.com", "*.example.net"], maxAge: 86400 });
  assert.match((parsePolicy("version: STSv1\nmode: enforce\nmax_age: 1\n") as { error: string }).error, /needs at least one `mx:`/);
  assert.match((parsePolicy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n") as { error: string }).error, /mode must be/);
  assert.match((parsePolicy("mode: enforce\nmx: a\nmax_age: 1\n") as { error: string }).error, /version: STSv1/);
  assert.match((parsePolicy("<html>\n") as { error: string }).error, /not `key: value`/);
});

test("mx patterns: a wildcard covers exactly one leftmost label (RFC 8461 §4.1)", () => {
  assert.ok(mxMatches("*.example.com", "mx1.example.com"));
  assert.ok(!mxMatches("*.example.com", "a.b.example.com"));
  assert.ok(!mxMatches("*.example.com", "example.com"));
  assert.ok(mxMatches("mx.example.com", "MX.example.com."));
  assert.ok(!mxMatches("mx.example.com", "mx2.example.com"));
});

test("MX order: by preference, then by name; a null MX and the implicit MX are told apart", async () => {
  const dns = await startDnsServer([
    { name: "order.test", type: "MX", data: { preference: 20, exchange: "b.order.test" } },
    { name: "order.test", type: "MX", data: { preference: 10, exchange: "z.order.test" } },
    { name: "order.test", type: "MX", data: { preference: 20, exchange: "a.order.test" } },
    { name: "null.test", type: "MX", data: { preference: 0, exchange: "." } },
    { name: "bare.test", type: "A", data: "192.0.2.1" },
  ]);
  try {
    const client = new DnsClient({ address: "127.0.0.1", port: dns.port });
    assert.deepEqual(await resolveMx(client, "order.test"), { kind: "mx", hosts: [{ preference: 10, host: "z.order.test" }, { preference: 20, host: "a.order.test" }, { preference: 20, host: "b.order.test" }] });
    assert.deepEqual(await resolveMx(client, "null.test"), { kind: "null" });
    assert.deepEqual(await resolveMx(client, "bare.test"), { kind: "implicit", hosts: [{ preference: 0, host: "bare.test" }] });
    await assert.rejects(resolveMx(client, "nowhere.test"), /MX nowhere\.test: no such name \(NXDOMAIN\)/);
  } finally {
    await dns.stop();
  }
});
