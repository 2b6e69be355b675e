// `mailchat explain` reads whatever it is given: any mix of log lines, delivery-status fields,
// report prose and replies gives readings (or none), never an exception, and every reply it
// says decided is made of the text's own words.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { explainText } from "../../src/hints/explain.js";
import { RUNS, SEED } from "./fuzz.js";

const FRAGMENTS = [
  "Dec  6 06:56:51 mx postfix/smtp[1]: ABC: to=<a@b.test>, relay=h[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host h[192.0.2.1] said: 550 5.1.1 <a@b.test>: x (in reply to RCPT TO command))",
  "postfix/smtpd[2]: NOQUEUE: reject: RCPT from h[192.0.2.1]: 554 5.7.1 <a@b>: Relay access denied; from=<> to=<a@b>",
  "2026-01-01 00:00:00 1abcde-000000-AB ** a@b.test R=r T=t H=h [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<a@b.test>: 550-5.1.1 x\\n550 5.1.1 y",
  "H=(h) [192.0.2.1] F=<a@b> rejected RCPT <c@d>: relay not permitted",
  "sm-mta[3]: Q: to=<a@b>, relay=h. [192.0.2.1], dsn=4.0.0, stat=Deferred: 421 4.7.0 [TSS04] x",
  "imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<a>, rip=192.0.2.1",
  "Reporting-MTA: dns; h", "Final-Recipient: rfc822; a@b", "Action: failed", "Status: 5.1.1", "Diagnostic-Code: smtp; 550-5.1.1 a 550 5.1.1 b", "  folded",
  "<a@b>: host h[192.0.2.1] said: 550 5.7.1 x (in reply to end of DATA command)",
  "Remote Server returned '550 5.4.1 Recipient address rejected: Access denied'", "The response was:",
  "550-Verification failed for <a@b>", "550-Response: 550 5.1.1 <a@b>", "550 Sender verify failed",
  "-ERR [AUTH] Authentication failed.", "A1 NO [AUTHENTICATIONFAILED] x", "{LED=550 5.1.10 x};{FQDN=h};{IP=192.0.2.1}",
  "Content-Type: multipart/report; boundary=b", "From: MAILER-DAEMON", "--b", "", "<>", "550", "-", ":", "(", "[", "\\n",
];

test(`explain reads any mix of formats without an exception, deciding only with the text's words (seed ${SEED})`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 40 })), { maxLength: 30 }), fc.constantFrom("\n", "\r\n", " ", "\n\n"), async (parts, joiner) => {
      const text = parts.join(joiner);
      // Exim writes a reply's line breaks as "\n"; the reader splits there.
      const unescaped = text.replace(/\\n/g, "\n");
      const explanations = await explainText(text);
      for (const { reading, reply } of explanations) {
        for (const line of reply) {
          // Every word of the deciding reply is in the text (lines are re-split and trimmed).
          for (const word of line.split(/\s+/).filter((w) => w.length > 3)) assert.ok(text.includes(word) || unescaped.includes(word), `${word} (from ${reading.format}) is not in the text`);
        }
      }
    }),
    { numRuns: Math.ceil(RUNS / 20), seed: SEED },
  );
});
