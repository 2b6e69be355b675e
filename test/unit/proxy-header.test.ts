// The PROXY protocol header against bytes others wrote: the v1 line of haproxy's
// proxy-protocol.txt §2.1, and a v2 header haproxy itself sent (a hex dump of a real
// connection: 172.19.0.1:42578 to 172.19.0.3:80), and the addresses as scripts write them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildProxyHeader, parseProxyPeer } from "../../src/protocols/proxy-header.js";

test("v1 is the spec's line: PROXY, TCP4 or TCP6, source and destination addresses, then ports, CRLF", () => {
  assert.equal(buildProxyHeader(1, { address: "192.168.0.1", port: 56324 }, { address: "192.168.0.11", port: 443 }).bytes.toString("latin1"), "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  assert.equal(buildProxyHeader(1, { address: "2001:db8::10", port: 5555 }, { address: "::1", port: 25 }).bytes.toString("latin1"), "PROXY TCP6 2001:db8::10 ::1 5555 25\r\n");
});

test("v2 over IPv4 is byte for byte what haproxy sends", () => {
  const header = buildProxyHeader(2, { address: "172.19.0.1", port: 42578 }, { address: "172.19.0.3", port: 80 });
  assert.equal(header.bytes.toString("hex"), "0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "ac130001" + "ac130003" + "a652" + "0050");
  assert.equal(header.shown, "proxy v2: PROXY TCP4 client 172.19.0.1:42578 server 172.19.0.3:80 (28 bytes: 0d0a0d0a000d0a515549540a 21 11 000c ac130001 ac130003 a652 0050)");
});

test("v2 over IPv6: family 0x21, 36 bytes of addresses, :: and an IPv4 tail expanded", () => {
  const header = buildProxyHeader(2, { address: "2001:db8::10", port: 65535 }, { address: "::ffff:192.0.2.1", port: 0 });
  assert.equal(header.bytes.length, 16 + 36);
  assert.equal(header.bytes.subarray(12, 16).toString("hex"), "21210024");
  assert.equal(header.bytes.subarray(16, 32).toString("hex"), "20010db8000000000000000000000010");
  assert.equal(header.bytes.subarray(32, 48).toString("hex"), "00000000000000000000ffffc0000201");
  assert.equal(header.bytes.subarray(48).toString("hex"), "ffff0000");
  assert.equal(buildProxyHeader(2, { address: "::", port: 1 }, { address: "1::", port: 1 }).bytes.subarray(16, 48).toString("hex"), "0".repeat(32) + "0001" + "0".repeat(28));
});

test("addresses as a script writes them: IPv4 with or without a port, IPv6 bracketed before a port", () => {
  assert.deepEqual(parseProxyPeer("192.0.2.10"), { address: "192.0.2.10" });
  assert.deepEqual(parseProxyPeer("192.0.2.10:0"), { address: "192.0.2.10", port: 0 });
  assert.deepEqual(parseProxyPeer("2001:DB8::1"), { address: "2001:db8::1" });
  assert.deepEqual(parseProxyPeer("[2001:db8::1]:5555"), { address: "2001:db8::1", port: 5555 });
  for (const bad of ["mx.example.com", "192.0.2", "192.0.02.1", "1.2.3.4:65536", "[192.0.2.1]x", "fe80::1%eth0", ""]) assert.ok("error" in parseProxyPeer(bad), bad);
});
