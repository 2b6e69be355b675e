// Built-in masks hide what varies between runs, and never a reply code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { maskLine } from "../../src/golden/masks.js";

const cases: Array<[string, string]> = [
  ["S: 220 mx.example.com ESMTP Exim 4.96 Mon, 23 Nov 2026 23:17:01 +0000", "S: 220 mx.example.com ESMTP Exim 4.96 <date>"],
  ["S: 250 2.0.0 Ok: queued as 4F2A1B3C9D", "S: 250 2.0.0 Ok: queued as <queue-id>"],
  ["S: 250 OK id=1rABCD-0001AB-CD", "S: 250 OK id=<queue-id>"],
  ["S: 250 2.0.0 OK  1700000000 d2e1a72fcca58.123 - gsmtp", "S: 250 2.0.0 OK  <unix-time> <id> - gsmtp"],
  ["S: * OK [UIDVALIDITY 1795476880] UIDs valid", "S: * OK [UIDVALIDITY <uidvalidity>] UIDs valid"],
  ["S: A5 OK [READ-WRITE] Select completed (0.003 + 0.000 + 0.002 secs).", "S: A5 OK [READ-WRITE] Select completed <time>."],
  ["S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", "S: 334 <challenge>"],
  ["S: 334 VXNlcm5hbWU6", "S: 334 VXNlcm5hbWU6"],
  ["*: cert CN=mx issued by CN=R11 expires 2027-02-21 verified", "*: cert CN=mx issued by CN=R11 expires <date> verified"],
];

test("built-in masks", () => {
  for (const [line, masked] of cases) assert.equal(maskLine(line, []), masked, line);
});

test("a mask never hides the reply code", () => {
  assert.equal(maskLine("S: 250 ok", [{ regex: /\d+/g, replacement: "N" }]), "S: 250 ok");
  assert.equal(maskLine("S: 421 4.7.0 busy 12", [{ regex: /\d+/g, replacement: "N" }]), "S: 421 N.N.N busy N");
});

test("script masks apply after the built-in ones", () => {
  assert.equal(maskLine("S: 250 backend=db7", [{ regex: /backend=\w+/g, replacement: "backend=<b>" }]), "S: 250 backend=<b>");
});
