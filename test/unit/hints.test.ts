// The hints table, case by case: the right row fires, and an unrelated reply gets none.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hintForConnectionError, matchHint, type HintContext } from "../../src/hints/index.js";

const smtp = (reply: string[], expected = "250", extra: Partial<HintContext> = {}): HintContext => ({ protocol: "smtp", reply, expected, step: "expect", lastSent: "EHLO x", ...extra });

const cases: Array<[string, HintContext]> = [
  ["starttls-missing", smtp(["250-mx", "250 PIPELINING"], "capability STARTTLS")],
  ["starttls-masked", smtp(["250-mx", "250-XXXXXXXA", "250 PIPELINING"], "capability STARTTLS")],
  ["lf-only", smtp(["451 4.7.0 Timeout waiting for client input"])],
  ["auth-5.7.3", smtp(["535 5.7.3 Authentication unsuccessful"], "235")],
  ["o365-smtp-auth-disabled", smtp(["535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."], "235")],
  ["gmail-app-password", smtp(["534-5.7.9 Application-specific password required. Learn more at", "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp"], "235")],
  ["o365-send-as", smtp(["550 5.7.60 SMTP; Client does not have permissions to send as this sender"])],
  ["auth-failed", smtp(["535 5.7.8 Error: authentication failed"], "235")],
  ["must-starttls", smtp(["530 5.7.0 Must issue a STARTTLS command first"])],
  ["auth-required", smtp(["530 5.7.0 Authentication required"])],
  ["relay-denied", smtp(["554 5.7.1 <x@example.net>: Relay access denied"])],
  ["greeting-421", smtp(["421 4.3.2 Service not available"], "220", { lastSent: undefined })],
  ["greeting-554", smtp(["554 5.7.1 Service unavailable; client host blocked"], "220", { lastSent: undefined })],
  ["unknown-user", smtp(["550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"])],
  ["size", smtp(["552 5.3.4 Message size exceeds fixed limit"])],
  ["bad-sequence", smtp(["503 5.5.1 Error: need MAIL command"])],
  ["mechanism", smtp(["504 5.5.4 Unrecognized authentication type"])],
  ["unrecognized", smtp(["502 5.5.2 Error: command not recognized"])],
  ["plaintext-disallowed", { protocol: "pop3", reply: ["-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."], expected: "+OK", step: "expect", lastSent: "USER x" }],
  ["plaintext-disallowed", { protocol: "imap", reply: ["A1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed"], expected: "OK", step: "expect", lastSent: "A1 LOGIN" }],
  ["auth-failed", { protocol: "imap", reply: ["A2 NO [AUTHENTICATIONFAILED] Authentication failed."], expected: "OK", step: "expect", lastSent: "A2 LOGIN" }],
  ["pop3-in-use", { protocol: "pop3", reply: ["-ERR [IN-USE] Mailbox is locked"], expected: "+OK", step: "expect", lastSent: "PASS ********" }],
  ["imap-unavailable", { protocol: "imap", reply: ["A3 NO [UNAVAILABLE] Backend down"], expected: "OK", step: "expect", lastSent: "A3 SELECT INBOX" }],
  ["too-many-connections", { protocol: "imap", reply: ["* BYE Too many connections"], expected: "OK", step: "expect" }],
  // How a step failed, where the reply says nothing more specific.
  ["framing", smtp([], "250", { situation: "framing" })],
  ["no-greeting", smtp([], "220", { situation: "no-greeting", timedOut: true })],
  ["nothing-owed", smtp([], "250", { situation: "nothing-owed", timedOut: true })],
  ["unsolicited", smtp(["250 pushed"], "250", { situation: "unsolicited" })],
  ["unsolicited-close", smtp(["421 4.4.2 bye"], "250", { situation: "unsolicited-close" })],
  ["closed-early", smtp([], "an open connection", { situation: "closed-early" })],
  ["refused-unexpected", smtp(["502 5.5.2 no"], "not a refusal", { situation: "refused-unexpected", reply: ["599 unknown"] })],
  ["starttls-refused", smtp([], "", { situation: "starttls-refused", step: "starttls" })],
];

test("a specific reply wins over the step's situation", () => {
  assert.equal(matchHint(smtp(["530 5.7.0 Must issue a STARTTLS command first"], "not a refusal", { situation: "refused-unexpected" }))?.id, "must-starttls");
});

for (const [id, context] of cases) {
  test(`hint ${id}: ${context.reply?.[context.reply.length - 1]}`, () => {
    assert.equal(matchHint(context)?.id, id);
  });
}

test("an ordinary reply gets no hint", () => {
  assert.equal(matchHint(smtp(["250 2.1.0 Ok"], "\"queued\"")), undefined);
});

test("connection errors have hints in words", () => {
  const where = { host: "mx.example.com", port: 25, implicitTls: false, plainSchemes: "smtp:// or submission://", stage: "connect" as const };
  assert.match(hintForConnectionError("ETIMEDOUT", where)!, /outbound port 25/);
  assert.match(hintForConnectionError("ENOTFOUND", where)!, /does not resolve/);
  assert.match(hintForConnectionError("ERR_SSL_WRONG_VERSION_NUMBER", { ...where, plainSchemes: "pop3://", stage: "tls" })!, /pop3:\/\/ with `starttls`/);
  assert.match(hintForConnectionError("ECONNRESET", { ...where, stage: "tls", pinned: "TLSv1.1" })!, /offered only TLSv1\.1: it probably does not accept that version/);
  assert.match(hintForConnectionError("ETIMEDOUT", { ...where, stage: "tls", afterGoAhead: true })!, /intercepts STARTTLS .* path-MTU black hole/);
  assert.equal(hintForConnectionError("EWHATEVER", where), undefined);
});
