// How `mailchat shell` reads a typed line (docs/shell.md), and the `expect` it writes for a
// reply, case by case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { classify } from "../../src/shell/classify.js";
import { expectCandidates, withCapability } from "../../src/shell/replies.js";
import { protocolFor } from "../../src/protocols/index.js";
import type { Reply } from "../../src/protocols/types.js";

test("only a line starting with `:` is the shell's; only a lower-case keyword starts a statement", () => {
  assert.deepEqual(classify(":save x.mailchat"), { kind: "shell", command: ":save", argument: "x.mailchat" });
  assert.deepEqual(classify("data"), { kind: "statement", keyword: "data", text: "data" });
  assert.deepEqual(classify("  starttls "), { kind: "statement", keyword: "starttls", text: "starttls" });
  assert.deepEqual(classify("auth plain alice@example.com"), { kind: "statement", keyword: "auth", text: "auth plain alice@example.com" });
  // Protocol verbs that are also keywords go to the server when typed in capitals.
  for (const line of ["DATA", "STARTTLS", "CLOSE", "AUTH PLAIN AGFsaWNl", "Expect 250", "a1 close", "EHLO data"]) assert.deepEqual(classify(line), { kind: "protocol", text: line });
  assert.deepEqual(classify("# a note"), { kind: "comment", text: "# a note" });
  assert.deepEqual(classify("   "), { kind: "empty" });
});

const reply = (lines: string[], fields: Partial<Reply>): Reply => ({ lines, raw: lines.map((l) => Buffer.from(l)), bytes: 0, ...fields });

test("an SMTP reply: code and enhanced code, a queue id captured, plainer forms after", () => {
  const smtp = protocolFor("smtp")!;
  assert.deepEqual(expectCandidates(reply(["250 2.0.0 Ok: queued as 4F2A1B3C9D"], { status: "250", enhanced: "2.0.0" }), smtp), [
    "expect 250 2.0.0 /queued as (?<queue>[A-Za-z0-9]+)/",
    "expect 250 2.0.0",
    "expect 250",
    "expect any",
  ]);
  assert.deepEqual(expectCandidates(reply(["220 mx ESMTP"], { status: "220" }), smtp), ["expect 220", "expect any"]);
});

test("POP3, IMAP and ManageSieve statuses; a refusal's response code; a continuation", () => {
  assert.deepEqual(expectCandidates(reply(["-ERR [AUTH] bad password"], { status: "-ERR" }), protocolFor("pop3")!), ["expect -ERR [AUTH]", "expect -ERR", "expect any"]);
  const imap = protocolFor("imap")!;
  assert.deepEqual(expectCandidates(reply(["A1 NO [AUTHENTICATIONFAILED] Authentication failed."], { status: "NO", tag: "A1" }), imap), ["expect NO [AUTHENTICATIONFAILED]", "expect NO", "expect any"]);
  assert.deepEqual(expectCandidates(reply(["A2 OK [APPENDUID 38505 3955] APPEND completed"], { status: "OK", tag: "A2" }), imap)[0], String.raw`expect OK /\[APPENDUID (?<uidvalidity>\d+) (?<uid>\d+)\]/`);
  assert.deepEqual(expectCandidates(reply(["+ idling"], { status: "+" }), imap), ["expect +", "expect any"]);
  assert.deepEqual(expectCandidates(reply(['OK "Logged in."'], { status: "OK" }), protocolFor("sieve")!), ["expect OK", "expect any"]);
  // A reply no status reads (a broken server): any reply at all.
  assert.deepEqual(expectCandidates(reply(["hello"], {}), protocolFor("smtp")!), ["expect any"]);
});

test("a capability relied on is added once", () => {
  assert.equal(withCapability("expect 250", "STARTTLS"), "expect 250 capability STARTTLS");
  assert.equal(withCapability("expect 250 capability STARTTLS", "STARTTLS"), "expect 250 capability STARTTLS");
  assert.equal(withCapability("expect 250 capability STARTTLS", "AUTH PLAIN"), "expect 250 capability STARTTLS capability AUTH PLAIN");
});
