// serve's offer and login equivalence on their own: which mechanisms a recording can replay,
// how capability lists are cut to them, where a recorded login starts and ends, and the
// dialogue serve carries for the form a client chose.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseGolden } from "../../src/serve/replay.js";
import { converseLogin, recordedLogin } from "../../src/serve/login.js";
import { offer, replayableMechanisms } from "../../src/serve/offer.js";

const smtp = parseGolden(
  [
    "*: connect submission://localhost:587",
    "S: 220 mailchat.test ESMTP",
    "C: EHLO mailchat.test",
    "S: 250-mailchat.test",
    "S: 250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2",
    "S: 250 SIZE 10485760",
    "C: AUTH LOGIN",
    "S: 334 VXNlcm5hbWU6",
    "C: YWxpY2VAbWFpbGNoYXQudGVzdA==",
    "S: 334 UGFzc3dvcmQ6",
    "C: ********",
    "S: 235 2.7.0 Authentication successful",
    "C: QUIT",
  ].join("\n"),
)[0]!;

test("a recording that logs in with AUTH LOGIN can replay LOGIN and PLAIN; strict, only LOGIN", () => {
  assert.deepEqual([...replayableMechanisms("smtp", smtp.lines, false).mechanisms].sort(), ["LOGIN", "PLAIN"]);
  assert.deepEqual([...replayableMechanisms("smtp", smtp.lines, true).mechanisms], ["LOGIN"]);
});

test("EHLO's AUTH keeps what can be replayed; a line left empty goes, and the reply still ends", () => {
  const withheld = new Set<string>();
  assert.deepEqual(offer("smtp", ["250-mailchat.test", "250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2", "250 SIZE 1"], "EHLO", new Set(["PLAIN", "LOGIN"]), withheld), ["250-mailchat.test", "250-AUTH PLAIN LOGIN", "250 SIZE 1"]);
  assert.deepEqual([...withheld], ["CRAM-MD5", "XOAUTH2"]);
  assert.deepEqual(offer("smtp", ["250-mailchat.test", "250 AUTH CRAM-MD5"], "EHLO", new Set(), new Set()), ["250 mailchat.test"]);
  assert.deepEqual(offer("imap", ["* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2] ready"], undefined, new Set(["PLAIN"]), new Set()), ["* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready"]);
  assert.deepEqual(offer("pop3", ["+OK", "USER", "SASL CRAM-MD5"], "CAPA", new Set(), new Set()), ["+OK", "USER"]);
});

test("a recorded login runs from its command to its outcome, with the user it shows", () => {
  const login = recordedLogin("smtp", smtp.lines, 5)!;
  assert.equal(login.form, "AUTH LOGIN");
  assert.equal(login.user, "alice@mailchat.test");
  assert.deepEqual(login.outcome.map((o) => o.text), ["235 2.7.0 Authentication successful"]);
  assert.equal(smtp.lines[login.end]?.kind, "client");
  const pop3 = parseGolden(["*: connect pop3://localhost:110", "S: +OK hi", "C: USER bob", "S: +OK", "C: PASS ********", "S: -ERR [AUTH] no", "C: QUIT"].join("\n"))[0]!;
  const refused = recordedLogin("pop3", pop3.lines, 1)!;
  assert.equal(refused.user, "bob");
  assert.deepEqual(refused.outcome.map((o) => o.text), ["-ERR [AUTH] no"]);
});

test("serve carries the client's own dialogue: SMTP AUTH LOGIN prompts, IMAP AUTHENTICATE PLAIN without and with an initial response", async () => {
  const sent: string[] = [];
  const io = (answers: string[]) => ({ prompt: (text: string) => void sent.push(text), read: async () => answers.shift() });
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  assert.deepEqual(await converseLogin("smtp", "AUTH LOGIN", io([b64("alice"), b64("pw")])), { user: "alice", password: "pw" });
  assert.deepEqual(sent.splice(0), ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"]);
  assert.deepEqual(await converseLogin("imap", "a1 AUTHENTICATE PLAIN", io([b64("\0alice\0pw")])), { user: "alice", password: "pw" });
  assert.deepEqual(sent.splice(0), ["+ "]);
  assert.deepEqual(await converseLogin("imap", `a1 AUTHENTICATE PLAIN ${b64("\0alice\0pw")}`, io([])), { user: "alice", password: "pw" });
  assert.deepEqual(await converseLogin("imap", 'a1 LOGIN "alice" "p\\"w"', io([])), { user: "alice", password: 'p"w' });
  assert.equal(recordedLogin("imap", parseGolden('*: connect imap://h\nS: * OK\nC: A1 LOGIN "alice" ********\nS: A1 OK done\n')[0]!.lines, 1)?.user, "alice");
  assert.deepEqual(await converseLogin("pop3", "USER alice", io(["PASS pw"])), { user: "alice", password: "pw" });
  assert.deepEqual(sent.splice(0), ["+OK"]);
  assert.deepEqual(await converseLogin("smtp", "AUTH PLAIN", io(["*"])), { cancelled: true });
});
