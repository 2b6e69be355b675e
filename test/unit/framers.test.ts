// Reply framing per protocol: split packets, multi-line replies, literals, dot-unstuffing,
// and the bounds that stop a hostile server from filling memory.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { SmtpFramer, ehloCapabilities } from "../../src/protocols/smtp.js";
import { Pop3Framer, capaCapabilities } from "../../src/protocols/pop3.js";
import { ImapFramer, imapCapabilities, quoteImapString } from "../../src/protocols/imap/index.js";
import { FramingError, type Reply, type ReplyFramer } from "../../src/protocols/types.js";
import { SieveFramer, sieve, sieveCapabilities } from "../../src/protocols/sieve.js";

/** Feeds the text one byte at a time: the worst split a network can produce. */
function feedBytewise(framer: ReplyFramer, text: string): Reply[] {
  const out: Reply[] = [];
  for (const byte of Buffer.from(text)) out.push(...framer.push(Buffer.from([byte])));
  return out;
}

describe("SMTP framing (RFC 5321 §4.2.1)", () => {
  test("joins 250- lines until the 250 line, even split byte by byte", () => {
    const replies = feedBytewise(new SmtpFramer(), "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n");
    assert.deepEqual(replies.map((r) => r.lines), [["220 mx ESMTP"], ["250-mx", "250-PIPELINING", "250 AUTH PLAIN LOGIN"]]);
    assert.equal(replies[1]!.status, "250");
  });

  test("reads the enhanced status code of the final line", () => {
    const [reply] = new SmtpFramer().push(Buffer.from("535 5.7.8 Error: authentication failed\r\n"));
    assert.equal(reply!.status, "535");
    assert.equal(reply!.enhanced, "5.7.8");
  });

  test("accepts bare LF line ends from a sloppy server", () => {
    const [reply] = new SmtpFramer().push(Buffer.from("221 bye\n"));
    assert.deepEqual(reply!.lines, ["221 bye"]);
  });

  test("keeps a partial line for the report when the server stops mid-reply", () => {
    const framer = new SmtpFramer();
    assert.deepEqual(framer.push(Buffer.from("250-mx\r\n250-PIPEL")), []);
    assert.equal(framer.pending().toString(), "250-mx\r\n250-PIPEL");
  });

  test("fails a line longer than the limit without waiting for its end", () => {
    assert.throws(() => new SmtpFramer().push(Buffer.alloc(100_000, "A")), (error: unknown) => error instanceof FramingError && /100000 bytes without a line end \(a reply line may hold 8192/.test(error.message));
  });

  test("a reply line of exactly 8192 bytes plus CRLF is accepted, in one chunk or with the CR last", () => {
    const line = `250 ${"x".repeat(8188)}`;
    assert.equal(new SmtpFramer().push(Buffer.from(`${line}\r\n`))[0]!.lines[0], line);
    const framer = new SmtpFramer();
    assert.deepEqual(framer.push(Buffer.from(`${line}\r`)), []);
    assert.equal(framer.push(Buffer.from("\n"))[0]!.lines[0], line);
  });

  test("a reply line of 8193 bytes is refused with its size", () => {
    assert.throws(() => new SmtpFramer().push(Buffer.from(`250 ${"x".repeat(8189)}\r\n`)), (error: unknown) => error instanceof FramingError && /reply line of 8193 bytes \(limit 8192/.test(error.message));
  });

  test("a multi-line reply whose code changes is named as such", () => {
    const [reply] = new SmtpFramer().push(Buffer.from("550-denied\r\n250 ok\r\n"));
    assert.equal(reply!.inconsistent, "550 then 250");
  });

  test("keeps the exact bytes of each line, invalid UTF-8 and control bytes included", () => {
    const [reply] = new SmtpFramer().push(Buffer.from([0x32, 0x32, 0x30, 0x20, 0x1b, 0x5b, 0x32, 0x4b, 0xff, 0x0d, 0x0a]));
    assert.deepEqual([...reply!.raw[0]!], [0x32, 0x32, 0x30, 0x20, 0x1b, 0x5b, 0x32, 0x4b, 0xff]);
  });

  test("fails an endless multi-line reply", () => {
    const framer = new SmtpFramer();
    assert.throws(() => {
      for (let i = 0; i < 20_000; i++) framer.push(Buffer.from("250-again\r\n"));
    }, FramingError);
  });

  test("reads EHLO keywords and parameters, old AUTH= form included", () => {
    const [reply] = new SmtpFramer().push(Buffer.from("250-mx\r\n250-AUTH=LOGIN\r\n250-AUTH PLAIN CRAM-MD5\r\n250 SIZE 1000\r\n"));
    const capabilities = ehloCapabilities(reply!)!;
    assert.deepEqual(capabilities.get("AUTH"), ["LOGIN", "PLAIN", "CRAM-MD5"]);
    assert.deepEqual(capabilities.get("SIZE"), ["1000"]);
  });
});

describe("POP3 framing (RFC 1939, RFC 2449)", () => {
  test("a +OK to RETR opens a dot-terminated list, dot-unstuffed", () => {
    const framer = new Pop3Framer(true);
    framer.sent("RETR 1");
    const replies = feedBytewise(framer, "+OK POP3 ready\r\n+OK 30 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n");
    assert.deepEqual(replies.map((r) => r.lines), [["+OK POP3 ready"], ["+OK 30 octets", "Subject: x", "", ".dot"]]);
  });

  test("a message line longer than a reply line is normal inside RETR (HTML mail)", () => {
    const framer = new Pop3Framer(false);
    framer.sent("RETR 1");
    const long = "x".repeat(50_000);
    const replies = framer.push(Buffer.from(`+OK\r\n${long}\r\n.\r\n`));
    assert.equal(replies[0]!.lines[1], long);
  });

  test("LIST with an argument and -ERR replies are single lines", () => {
    const framer = new Pop3Framer(true);
    framer.sent("LIST 1");
    framer.sent("RETR 9");
    const replies = framer.push(Buffer.from("+OK hi\r\n+OK 1 120\r\n-ERR no such message\r\n"));
    assert.deepEqual(replies.map((r) => r.status), ["+OK", "+OK", "-ERR"]);
  });

  test("CAPA lists SASL mechanisms, readable as AUTH too", () => {
    const framer = new Pop3Framer(false);
    framer.sent("CAPA");
    const [reply] = framer.push(Buffer.from("+OK\r\nSTLS\r\nSASL PLAIN LOGIN\r\nUSER\r\n.\r\n"));
    const capabilities = capaCapabilities(reply!)!;
    assert.ok(capabilities.has("STLS"));
    assert.deepEqual(capabilities.get("AUTH"), ["PLAIN", "LOGIN"]);
  });
});

describe("IMAP framing (RFC 9051)", () => {
  test("a reply is the untagged lines plus the tagged completion", () => {
    const framer = new ImapFramer(true);
    const replies = feedBytewise(framer, "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n* CAPABILITY IMAP4rev1\r\nA1 OK done\r\n");
    assert.equal(replies.length, 2);
    assert.equal(replies[0]!.status, "OK");
    assert.deepEqual(replies[1]!.lines, ["* CAPABILITY IMAP4rev1", "A1 OK done"]);
    assert.equal(replies[1]!.tag, "A1");
    assert.deepEqual(imapCapabilities(replies[0]!)!.get("AUTH"), ["PLAIN"]);
  });

  test("a literal is read by byte count: a line inside it that looks like a completion does not end the reply", () => {
    const body = "Subject: trap\r\n\r\nA2 OK not really\r\n";
    const framer = new ImapFramer(false);
    const replies = feedBytewise(framer, `* 1 FETCH (BODY[] {${Buffer.byteLength(body)}}\r\n${body})\r\nA2 OK FETCH completed\r\n`);
    assert.equal(replies.length, 1);
    assert.equal(replies[0]!.tag, "A2");
    assert.match(replies[0]!.lines[0]!, /A2 OK not really/);
  });

  test("a + continuation completes a reply", () => {
    const [reply] = new ImapFramer(false).push(Buffer.from("+ Ready for literal data\r\n"));
    assert.equal(reply!.status, "+");
  });

  test("a literal announcing more than the limit is refused at once", () => {
    assert.throws(() => new ImapFramer(false).push(Buffer.from("* 1 FETCH (BODY[] {99999999999}\r\n")), FramingError);
  });

  test("an endless untagged stream is bounded", () => {
    const framer = new ImapFramer(false);
    const line = Buffer.from(`* OK ${"x".repeat(1000)}\r\n`);
    assert.throws(() => {
      for (let i = 0; i < 100_000; i++) framer.push(line);
    }, FramingError);
  });

  test("LOGIN arguments are quoted so that quotes, backslashes and spaces survive", () => {
    assert.equal(quoteImapString('pa"ss\\word with space'), '"pa\\"ss\\\\word with space"');
  });
});

describe("ManageSieve framing (RFC 5804)", () => {
  test("capability lines end at OK; the capabilities are read, SASL also as AUTH", () => {
    const [reply] = new SieveFramer().push(Buffer.from('"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SASL" "PLAIN LOGIN"\r\n"STARTTLS"\r\nOK "ready"\r\n'));
    assert.equal(reply!.status, "OK");
    const capabilities = sieveCapabilities(reply!)!;
    assert.deepEqual(capabilities.get("AUTH"), ["PLAIN", "LOGIN"]);
    assert.ok(capabilities.has("STARTTLS"));
  });

  test("a literal in a response is read by byte count, even when it holds an OK line", () => {
    const framer = new SieveFramer();
    assert.deepEqual(framer.push(Buffer.from("{11}\r\nOK \"fake\"\r\n")), []);
    const [reply] = framer.push(Buffer.from('\r\nOK "Getscript completed."\r\n'));
    assert.equal(reply!.lines[0], '{11}\nOK "fake"\r\n');
    assert.equal(reply!.status, "OK");
  });

  test("during AUTHENTICATE a lone string is a challenge", () => {
    const framer = new SieveFramer();
    framer.sent('AUTHENTICATE "LOGIN"');
    const [challenge] = framer.push(Buffer.from('"VXNlcm5hbWU6"\r\n'));
    assert.equal(challenge!.status, "+");
  });

  test("a NO with a response code and a literal message", () => {
    const [reply] = new SieveFramer().push(Buffer.from("NO (QUOTA/MAXSIZE) {9}\r\ntoo large\r\n"));
    assert.equal(reply!.status, "NO");
    assert.deepEqual(sieve.responseCodes(reply!), ["QUOTA/MAXSIZE"]);
  });
});
