// `mailchat explain` on what users hold: bounces and log lines written by real Postfix and
// Dovecot here (test/fixtures/bounces/README.md says how), and vendors' texts as public pages
// show them (each with its source). Every one must name the cause in its expectation: the hint
// row, the recipient, the remote host or client, and the status code that decided.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { explainText, type Explanation } from "../../src/hints/explain.js";
import { hintRows } from "../../src/hints/index.js";
import { PROVIDER_ROWS } from "../../src/hints/providers.js";
import { FIXTURES } from "../helpers/paths.js";

const root = join(FIXTURES, "bounces");

interface Expectation {
  recipient?: string;
  remote?: string;
  client?: boolean;
  row: string;
  code?: string;
  reply?: string;
  context?: string;
  contextCode?: string;
  format?: string;
}

function check(explanation: Explanation | undefined, expected: Expectation, what: string): void {
  assert.ok(explanation, `${what}: nothing read`);
  const { reading } = explanation;
  const shown = `${what}: read ${JSON.stringify({ ...reading, row: explanation.row?.id, meaning: explanation.meaning })}`;
  assert.equal(explanation.row?.id, expected.row, shown);
  if (expected.recipient) assert.equal(reading.recipient, expected.recipient, shown);
  if (expected.remote) assert.equal(reading.remoteHost, expected.remote, shown);
  if (expected.client !== undefined) assert.equal(Boolean(reading.client), expected.client, shown);
  if (expected.code) assert.ok(explanation.meaning?.startsWith(`${expected.code} `), shown);
  if (expected.reply) assert.ok(explanation.reply.join(" ").includes(expected.reply), shown);
  if (expected.context) assert.ok(explanation.context.some((c) => c.reply.lines.join(" ").includes(expected.context!)), shown);
  if (expected.contextCode) assert.ok(explanation.context.some((c) => c.meaning?.startsWith(`${expected.contextCode} `)), shown);
  if (expected.format) assert.ok(reading.format.includes(expected.format), shown);
}

const expected = JSON.parse(readFileSync(join(root, "expected.json"), "utf8")) as { bounces: Record<string, Expectation>; logLines: Array<Expectation & { file: string; contains: string }> };

describe("bounces made by real Postfix", () => {
  test("every case directory has an expectation", () => {
    const cases = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory());
    assert.deepEqual(cases.sort(), Object.keys(expected.bounces).sort());
  });
  for (const [name, expectation] of Object.entries(expected.bounces)) {
    test(`${name}: ${expectation.row}`, async () => {
      const explanations = await explainText(readFileSync(join(root, name, "bounce.eml"), "utf8"));
      assert.equal(explanations.length, 1, `one recipient failed, ${explanations.length} read`);
      check(explanations[0], expectation, name);
      assert.match(explanations[0]!.reading.format, /RFC 3464 delivery status notification/);
    });
  }
  test("the delivery-status part alone, pasted without its message, is read the same", async () => {
    const eml = readFileSync(join(root, "unknown-user", "bounce.eml"), "utf8");
    const part = eml.slice(eml.indexOf("Reporting-MTA:"), eml.indexOf("\n--", eml.indexOf("Reporting-MTA:")));
    const [explanation] = await explainText(part);
    check(explanation, expected.bounces["unknown-user"]!, "delivery-status part");
    assert.match(explanation!.reading.format, /delivery-status part/);
  });
});

test("a delivery-status part with several recipients (RFC 3464 §2.3): one explanation each, in order", async () => {
  const part = [
    "Reporting-MTA: dns; mx.example.net",
    "",
    "Final-Recipient: rfc822; gone@example.com",
    "Action: failed",
    "Status: 5.1.1",
    "Remote-MTA: dns; mx.example.com",
    "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: Recipient address",
    " rejected: User unknown in local recipient table",
    "",
    "Final-Recipient: rfc822; later@example.org",
    "Action: delayed",
    "Status: 4.4.1",
    "Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.9]:25: Connection",
    "    timed out",
    "",
  ].join("\n");
  const explanations = await explainText(part);
  assert.deepEqual(explanations.map((e) => [e.reading.recipient, e.reading.action, e.row?.id]), [
    ["gone@example.com", "failed", "unknown-user"],
    ["later@example.org", "delayed", "mta-connection-timed-out"],
  ]);
  assert.equal(explanations[0]!.reading.remoteHost, "mx.example.com");
  assert.deepEqual(explanations[0]!.reply, ["550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown in local recipient table"], "a folded field is one line");
});

test("an NDR whose only readable part is base64 HTML (as Exchange sends them) is decoded and read", async () => {
  // The wording of a real Exchange NDR (https://pastebin.com/4NLVeuUu), wrapped the way Exchange
  // wraps it: HTML, base64, no delivery-status part.
  const html = "<html><body><p><b>Diagnostic information for administrators:</b></p><p>Generating server: EX2.example.local<br>jean@example.net<br>Remote Server returned &#39;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup&#39;</p></body></html>";
  const message = [
    "From: Microsoft Outlook <postmaster@example.local>",
    "To: sender@example.local",
    "Subject: Undeliverable: hello",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    ...(Buffer.from(html).toString("base64").match(/.{1,76}/g) ?? []),
    "--b1--",
    "",
  ].join("\r\n");
  const [explanation] = await explainText(message);
  check(explanation, { recipient: "jean@example.net", row: "o365-recipient-not-found", format: "Microsoft", reply: "RESOLVER.ADR.RecipientNotFound" }, "base64 HTML NDR");
  assert.match(explanation!.reading.format, /"Undeliverable: hello"/);
});

describe("log lines written by real Postfix and Dovecot", () => {
  for (const line of expected.logLines) {
    test(`${line.file}: ${line.contains} → ${line.row}`, async () => {
      const found = readFileSync(join(root, line.file), "utf8").split("\n").filter((l) => l.includes(line.contains));
      assert.equal(found.length, 1, `${line.contains} is on ${found.length} lines of ${line.file}`);
      const explanations = await explainText(found[0]!);
      assert.equal(explanations.length, 1);
      check(explanations[0], line, line.contains);
    });
  }
  test("a whole log: one explanation per refusal, delivered lines left out", async () => {
    const explanations = await explainText(readFileSync(join(root, "maillog-snd.txt"), "utf8"));
    assert.deepEqual(explanations.map((e) => e.reading.recipient), ["nobody@rcv.test", "someone@elsewhere.test", "alice@rcv.test", "someone@silent.test", "someone@closed.test"]);
  });
});

describe("vendors' texts, each from the public source it names", () => {
  const texts = JSON.parse(readFileSync(join(root, "vendor-texts.json"), "utf8")) as Array<Expectation & { name: string; source: string; text: string }>;
  for (const vendor of texts) {
    test(`${vendor.name} (${vendor.source})`, async () => {
      assert.match(vendor.source, /^https?:\/\//, "a vendor text names where it was seen");
      const explanations = await explainText(vendor.text);
      check(explanations[0], vendor, vendor.name);
    });
  }
  test("every provider row names a public source by its address, and is exercised by a vendor text or its example", () => {
    for (const row of PROVIDER_ROWS) {
      assert.ok(/https?:\/\/|src\//.test(row.source), `${row.id} names no address or source file: ${row.source}`);
      assert.ok(hintRows().includes(row), `${row.id} is not in the table`);
      assert.ok(row.example, `${row.id} has no real reply to test it with`);
    }
  });
});
