// The compiler is total: over random and mutated scripts, and scripts of every block form
// finished or cut short, it returns steps or diagnostics, each with a place in the source,
// and never throws (a throw is the CLI's "internal error", exit 70).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { compile } from "../../src/compile/compile.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { check, RUNS, SEED } from "./fuzz.js";

const WORDS = ["connect", "send", "send raw", "expect", "starttls", "auth", "data", "data file", "bdat", "bdat chunk 16", "bdat file", "chunk", "binary", "pipeline", "end", "probe", "end-of-data", '{"t"}', '{"t', '{file "f"}', "{5}", "set", "param", "secret", "timeout", "close", "include", "allow", "mask", "not", "any", "capability", "within", "closed", "silence", "tls", "cert", "version", "refused", "expires", "min", "max", "verify", "off", "default", "smtp://h", "imap://[::1]:1", "pop3s://x", "sieve://s", "250", "2xx", "250|251", "2.1.0", "+OK", "-ERR", "OK", "+", "[IN-USE]", '"str"', '"open', '"\\x00"', "/re/i", "/(/", "/(a+)+$/", "10s", "30d", "99999999999999999999d", ">=", "=", "TLSv1.2", "${x}", "${env.HOME}", "${", "$${y}", "#c", ".", "\\", "plain", "user", "plaintext-auth", "AUTH=PLAIN", "\t", "é", "\u202e", "\0"];

const corpus = ["examples", "recipes"].flatMap((dir) =>
  readdirSync(join(REPO_ROOT, dir))
    .filter((f) => f.endsWith(".mailchat"))
    .map((f) => readFileSync(join(REPO_ROOT, dir, f), "utf8")),
);

const randomScript = fc
  .array(fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { minLength: 0, maxLength: 7 }).map((words) => words.join(" ")), { maxLength: 8 })
  .chain((lines) => fc.constantFrom("\n", "\r\n").map((eol) => lines.join(eol)));

/** A real script with characters inserted, deleted or replaced, or lines dropped and swapped. */
const mutatedScript = fc.tuple(fc.constantFrom(...corpus), fc.array(fc.tuple(fc.nat(), fc.constantFrom("insert", "delete", "replace", "drop-line", "dup-line"), fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 3 }))), { minLength: 1, maxLength: 6 })).map(([source, edits]) => {
  let text = source;
  for (const [at, kind, piece] of edits) {
    const i = text.length === 0 ? 0 : at % text.length;
    if (kind === "insert") text = text.slice(0, i) + piece + text.slice(i);
    else if (kind === "delete") text = text.slice(0, i) + text.slice(i + 1 + (at % 5));
    else if (kind === "replace") text = text.slice(0, i) + piece + text.slice(i + piece.length);
    else {
      const lines = text.split("\n");
      const n = at % Math.max(1, lines.length);
      if (kind === "drop-line") lines.splice(n, 1);
      else lines.splice(n, 0, lines[(at >> 3) % Math.max(1, lines.length)] ?? "");
      text = lines.join("\n");
    }
  }
  return text;
});

const bodyLine = fc.oneof(fc.constantFrom("Subject: hi", "", ".", "..", ".x", "end", "data", "bdat", "send NOOP", "${x}", "${", "a\0b", "# not a comment"), fc.string({ maxLength: 12 }));
const literalText = fc.oneof(fc.constantFrom("require \\\"fileinto\\\";\\r\\n", "a # b", "${x}", "\\", '\\"'), fc.string({ maxLength: 10 }));

/** Every form that spans lines or ends in a closing mark: a message body (`data`, `bdat`, `bdat
 * chunk SIZE` … `.`), a `pipeline` … `end`, a sized literal (`{"TEXT"}`, `{file "PATH"}`). */
const block: fc.Arbitrary<readonly string[]> = fc.oneof(
  fc.tuple(fc.constantFrom("data", "bdat", "bdat chunk 16", "bdat chunk 1", "bdat chunk 64k", "bdat chunk 65m", "bdat chunk 0", "bdat chunk x", "data # body", "DATA"), fc.array(bodyLine, { maxLength: 5 })).map(([opening, lines]) => [opening, ...lines, "."]),
  fc.array(fc.oneof(fc.constantFrom("  send MAIL FROM:<a@example.com>", "  send RCPT TO:<b@example.com>", "  send DATA", "  send EHLO x", "", "  send A {\"x\"}"), fc.string({ maxLength: 6 }).map((t) => `  send ${t}`)), { maxLength: 4 }).map((sends) => ["pipeline", ...sends, "end"]),
  fc.tuple(fc.constantFrom("send APPEND INBOX", "send PUTSCRIPT \"v\"", "send CHECKSCRIPT", "send A SEARCH \"{\" "), literalText).map(([line, text]) => [`${line} {"${text}"}`]),
  fc.tuple(fc.constantFrom("send APPEND INBOX", "send PUTSCRIPT \"v\""), fc.constantFrom("vacation.sieve", "missing.eml", "../recipes/vacation.sieve", "")).map(([line, path]) => [`${line} {file "${path}"}`]),
  fc.constantFrom(["data file \"missing.eml\""], ["bdat file \"missing.eml\" chunk 1k binary"], ["send A APPEND INBOX {5}"], ["probe end-of-data \"\\n.\\n\""]),
);
const plain = fc.constantFrom("expect 250", "expect OK", "expect 220", "send EHLO client", "send QUIT", "expect closed", "close", "send MAIL FROM:<a@example.com>", "send RCPT TO:<b@example.com>", "expect 250 capability CHUNKING");
const connect = fc.constantFrom("connect smtp://h", "connect lmtp://h", "connect imap://h", "connect sieve://h", "connect pop3://h", "connect submission://h as s", "");

/**
 * Scripts made of every block form, finished or not: a block may lose its end (cut at any
 * point, then the script goes on with other statements), and the whole may be cut anywhere.
 */
const blockScript = fc
  .tuple(
    connect,
    fc.array(fc.oneof(plain.map((line) => ({ lines: [line], cut: undefined })), fc.record({ lines: block, cut: fc.option(fc.nat(), { freq: 2 }) })), { minLength: 1, maxLength: 6 }),
    fc.option(fc.nat()),
    fc.constantFrom("\n", "\r\n"),
  )
  .map(([first, pieces, cutAll, eol]) => {
    const lines: string[] = [first];
    for (const { lines: piece, cut } of pieces) {
      if (cut === null || cut === undefined) {
        lines.push(...piece);
        continue;
      }
      // Unfinished: the block's text cut short at any character, its closing line lost.
      const text = piece.join("\n");
      lines.push(text.slice(0, cut % (text.length + 1)));
    }
    const text = lines.join(eol);
    return cutAll === null ? text : text.slice(0, cutAll % (text.length + 1));
  });

/** The compiler's answer: steps or diagnostics, each with a place; a throw fails the property. */
function compilesOrLocates(source: string): void {
  const result = compile(join(REPO_ROOT, "recipes", "fuzz.mailchat"), { source, env: { HOME: "/root", MAILCHAT_PASSWORD: "pw" }, vars: { x: "1", host: "h", user: "u", to: "t", port: "25" } });
  assert.ok(result.script !== undefined || result.diagnostics.length > 0);
  for (const d of result.diagnostics) {
    assert.ok(d.message.length > 0);
    // Every diagnostic of a script read from text has a place in it.
    assert.ok(d.span !== undefined, `no place for: ${d.code} ${d.message}`);
    assert.ok(d.span.line >= 1 && d.span.column >= 1);
  }
}

test(`the compiler is total over ${RUNS} scripts of every block form, finished and cut short (seed ${SEED})`, () => {
  check(fc.property(blockScript, compilesOrLocates));
});

test("an unfinished block of each form is a located diagnostic at its start", () => {
  const cases: Array<[string, string, number]> = [
    ["connect smtp://h\nbdat", "unclosed-bdat", 2],
    ["connect smtp://h\nbdat chunk 16\nSubject: x\n\nexpect 250\nsend QUIT\n", "unclosed-bdat", 2],
    ["connect smtp://h\ndata\nSubject: x\n", "unclosed-data", 2],
    ["connect smtp://h\npipeline\n  send NOOP", "unclosed-pipeline", 2],
    ["connect smtp://h\npipeline\n  send NOOP\nexpect 250\n", "unclosed-pipeline", 2],
    ['connect imap://h\nsend APPEND INBOX {"Subject: x', "unclosed-literal", 2],
    ['connect sieve://h\nsend PUTSCRIPT "v" {file "vacation.sieve"\nexpect OK\n', "unclosed-literal", 2],
  ];
  for (const [source, code, line] of cases) {
    const result = compile("unfinished.mailchat", { source, env: {}, vars: {} });
    assert.equal(result.diagnostics.length, 1, source);
    assert.equal(result.diagnostics[0]!.code, code, source);
    assert.equal(result.diagnostics[0]!.span?.line, line, source);
  }
});

test(`the compiler is total over ${RUNS} random and mutated scripts (seed ${SEED})`, () => {
  check(
    fc.property(fc.oneof(randomScript, mutatedScript), compilesOrLocates),
  );
});
