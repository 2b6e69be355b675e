// SASL in each protocol's wrapping: what goes on the wire, what the transcript shows, and
// that the final reply is left for the script's `expect`. Replies are scripted; the
// exchange logic is pure (sockets are covered by the integration and interop suites).
import { test } from "node:test";
import assert from "node:assert/strict";
import { imap } from "../../src/protocols/imap/index.js";
import { pop3 } from "../../src/protocols/pop3.js";
import { smtp } from "../../src/protocols/smtp.js";
import type { Capabilities, Credentials, Exchange, Protocol, Reply } from "../../src/protocols/types.js";

function reply(line: string, status: string): Reply {
  return { lines: [line], raw: [Buffer.from(line)], status, bytes: line.length + 2 };
}

async function exchange(protocol: Protocol, credentials: Credentials, replies: Reply[], capabilities?: Capabilities) {
  const sent: Array<{ line: string; shown: string }> = [];
  const putBack: Reply[] = [];
  let tag = 0;
  const ex: Exchange = {
    send: async (line, shown) => void sent.push({ line, shown: shown ?? line }),
    nextTag: () => `A${++tag}`,
    reply: async () => {
      const next = replies.shift();
      if (!next) throw new Error("the exchange asked for more replies than the server sent");
      return next;
    },
    putBack: (r) => void putBack.push(r),
    note: () => undefined,
    capabilities: () => capabilities,
  };
  await protocol.authenticate(ex, credentials);
  return { sent, putBack, left: replies.length };
}

const tim = (mechanism: Credentials["mechanism"]): Credentials => ({ mechanism, user: "tim", secret: "tanstaaftanstaaf" });

test("SMTP AUTH LOGIN: two 334 prompts answered, the password shown as ********, 235 left for expect", async () => {
  const { sent, putBack } = await exchange(smtp, tim("login"), [reply("334 VXNlcm5hbWU6", "334"), reply("334 UGFzc3dvcmQ6", "334"), reply("235 2.7.0 ok", "235")]);
  assert.deepEqual(sent.map((s) => s.line), ["AUTH LOGIN", "dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="]);
  assert.deepEqual(sent.map((s) => s.shown), ["AUTH LOGIN", "dGlt", "********"]);
  assert.equal(putBack[0]!.status, "235");
});

test("SMTP AUTH PLAIN with the initial response; a 535 is left for expect", async () => {
  const { sent, putBack } = await exchange(smtp, tim("plain"), [reply("535 5.7.8 no", "535")]);
  assert.deepEqual(sent, [{ line: "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", shown: "AUTH PLAIN ********" }]);
  assert.equal(putBack[0]!.status, "535");
});

test("SMTP AUTH LOGIN refused at once (504) leaves the refusal for expect and sends nothing more", async () => {
  const { sent, putBack } = await exchange(smtp, tim("login"), [reply("504 5.7.4 Unrecognized authentication type", "504")]);
  assert.equal(sent.length, 1);
  assert.equal(putBack[0]!.status, "504");
});

test("SMTP AUTH CRAM-MD5 answers the challenge (RFC 2195)", async () => {
  const challenge = Buffer.from("<1896.697170952@postoffice.reston.mci.net>").toString("base64");
  const { sent } = await exchange(smtp, tim("cram-md5"), [reply(`334 ${challenge}`, "334"), reply("235 ok", "235")]);
  assert.equal(sent[1]!.line, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  assert.equal(sent[1]!.shown, "********");
});

test("SMTP XOAUTH2 failure: the JSON 334 is answered with an empty line, the 535 left for expect", async () => {
  const error = Buffer.from('{"status":"401"}').toString("base64");
  const { sent, putBack } = await exchange(smtp, tim("xoauth2"), [reply(`334 ${error}`, "334"), reply("535 5.7.8 bad token", "535")]);
  assert.equal(sent[1]!.line, "");
  assert.equal(putBack[0]!.status, "535");
});

test("POP3 USER/PASS: PASS shown as ********, its reply left for expect", async () => {
  const { sent, putBack } = await exchange(pop3, tim("user"), [reply("+OK", "+OK"), reply("+OK Logged in.", "+OK")]);
  assert.deepEqual(sent.map((s) => s.shown), ["USER tim", "PASS ********"]);
  assert.equal(putBack[0]!.lines[0], "+OK Logged in.");
});

test("POP3 AUTH LOGIN answers the + prompts (RFC 5034)", async () => {
  const { sent } = await exchange(pop3, tim("login"), [reply("+ VXNlcm5hbWU6", "+"), reply("+ UGFzc3dvcmQ6", "+"), reply("+OK", "+OK")]);
  assert.deepEqual(sent.map((s) => s.shown), ["AUTH LOGIN", "dGlt", "********"]);
});

test("IMAP auth login is the LOGIN command, quoted, tagged", async () => {
  const { sent, putBack } = await exchange(imap, { mechanism: "login", user: "tim", secret: 'pa"ss w\\rd' }, [reply("A1 OK Logged in", "OK")]);
  assert.deepEqual(sent, [{ line: 'A1 LOGIN "tim" "pa\\"ss w\\\\rd"', shown: 'A1 LOGIN "tim" ********' }]);
  assert.equal(putBack[0]!.status, "OK");
});

test("IMAP AUTHENTICATE PLAIN uses SASL-IR when offered, waits for + otherwise", async () => {
  const withIr = await exchange(imap, tim("plain"), [reply("A1 OK", "OK")], new Map([["SASL-IR", []]]));
  assert.deepEqual(withIr.sent.map((s) => s.shown), ["A1 AUTHENTICATE PLAIN ********"]);
  const without = await exchange(imap, tim("plain"), [reply("+ ", "+"), reply("A1 NO [AUTHENTICATIONFAILED] no", "NO")]);
  assert.deepEqual(without.sent.map((s) => s.shown), ["A1 AUTHENTICATE PLAIN", "********"]);
  assert.equal(without.putBack[0]!.status, "NO");
});
