// Random scripts, random server bytes and random pastes (seeded, so a failure reproduces):
// the compiler answers with diagnostics, the framers with FramingError, the importer with a
// script — never with an exception a user would see as a stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../src/compile/compile.js";
import { generateScript } from "../../src/import/generate.js";
import { readTranscript } from "../../src/import/transcript.js";
import { ImapFramer } from "../../src/protocols/imap.js";
import { Pop3Framer } from "../../src/protocols/pop3.js";
import { SmtpFramer } from "../../src/protocols/smtp.js";
import { FramingError } from "../../src/protocols/types.js";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function phrase(next: () => number, vocabulary: string[], max: number, joiner = " "): string {
  return Array.from({ length: 1 + Math.floor(next() * max) }, () => vocabulary[Math.floor(next() * vocabulary.length)]!).join(joiner);
}

const SCRIPT_WORDS = ["connect", "send", "expect", "starttls", "auth", "data", "set", "param", "timeout", "close", "include", "allow", "mask", "not", "capability", "within", "closed", "silence", "tls", "cert", "version", "refused", "expires", "min", "max", "verify", "off", "default", "file", "raw", "smtp://h", "imap://[::1]:1", "pop3s://x", "250", "2xx", "250|251", "2.1.0", "+OK", "-ERR", "OK", "+", "[IN-USE]", '"str"', '"open', "/re/i", "/(/", "10s", "30d", ">=", "=", "TLSv1.2", "TLS1", "${x}", "${env.HOME}", "${", "$${y}", "#c", ".", "\\", "plain", "user", "plaintext-auth", "\t", "é"];

test("random scripts compile to steps or diagnostics with a place", () => {
  const next = random(1);
  for (let i = 0; i < 3000; i++) {
    const source = Array.from({ length: 1 + Math.floor(next() * 6) }, () => phrase(next, SCRIPT_WORDS, 6)).join(next() < 0.8 ? "\n" : "\r\n");
    const result = compile("fuzz.mailchat", { source, env: { HOME: "/root" }, vars: { x: "1" } });
    for (const d of result.diagnostics) {
      assert.ok(d.message, JSON.stringify(source));
      if (d.span) assert.ok(d.span.line >= 1 && d.span.column >= 1, JSON.stringify(source));
    }
  }
});

const SERVER_PIECES = ["250-", "250 ", "220 x\r\n", "\r\n", "\n", "+OK", "-ERR", ".", "..", "* ", "A1 OK", "{5}\r\n", "{99999999999}\r\n", "+ ", "x", "\x00", "\xff", "\r", "* BYE\r\n", "334 VXNlcm5hbWU6\r\n"];

test("random server bytes end in replies or a FramingError, in every framer", () => {
  const next = random(2);
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.from(phrase(next, SERVER_PIECES, 30, ""), "latin1");
    const framers = [new SmtpFramer(), new Pop3Framer(true), new ImapFramer(next() < 0.5)];
    (framers[1] as Pop3Framer).sent("RETR 1");
    for (const framer of framers) {
      try {
        framer.push(bytes);
        framer.pending();
        framer.discard();
      } catch (error) {
        assert.ok(error instanceof FramingError, `${(error as Error).message} on ${JSON.stringify(bytes.toString("latin1"))}`);
      }
    }
  }
});

const PASTE_PIECES = ["250-", "250 ok", "220 x", "+OK", "-ERR", ".", "..", "* OK", "A1 OK", "+ ", "x", "* BYE", "334 VXNlcm5hbWU6", "EHLO x", "AUTH LOGIN", "DATA", "354 go", "STARTTLS", "a1 LOGIN u p", "USER u", "PASS p", "dXNlcg==", "#hash", "${x}", "send", '"q"'];

test("random pastes import into a script that compiles", () => {
  const next = random(3);
  for (let i = 0; i < 2000; i++) {
    const paste = Array.from({ length: 1 + Math.floor(next() * 12) }, () => phrase(next, PASTE_PIECES, 3)).join("\n");
    const { script } = generateScript(readTranscript(paste), "paste");
    const result = compile("imported.mailchat", { source: script, env: { MAILCHAT_PASSWORD: "x" }, vars: { host: "mx.example.com" } });
    assert.deepEqual(result.diagnostics.map((d) => d.message), [], `${JSON.stringify(paste)}\n=>\n${script}`);
  }
});
