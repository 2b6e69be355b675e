// The compiler is total: over random and mutated scripts it returns steps or diagnostics,
// each with a place in the source, and never throws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { compile } from "../../src/compile/compile.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { check, RUNS, SEED } from "./fuzz.js";

const WORDS = ["connect", "send", "send raw", "expect", "starttls", "auth", "data", "data file", "set", "param", "secret", "timeout", "close", "include", "allow", "mask", "not", "any", "capability", "within", "closed", "silence", "tls", "cert", "version", "refused", "expires", "min", "max", "verify", "off", "default", "smtp://h", "imap://[::1]:1", "pop3s://x", "sieve://s", "250", "2xx", "250|251", "2.1.0", "+OK", "-ERR", "OK", "+", "[IN-USE]", '"str"', '"open', '"\\x00"', "/re/i", "/(/", "/(a+)+$/", "10s", "30d", "99999999999999999999d", ">=", "=", "TLSv1.2", "${x}", "${env.HOME}", "${", "$${y}", "#c", ".", "\\", "plain", "user", "plaintext-auth", "AUTH=PLAIN", "\t", "é", "\u202e", "\0"];

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

test(`the compiler is total over ${RUNS} random and mutated scripts (seed ${SEED})`, () => {
  check(
    fc.property(fc.oneof(randomScript, mutatedScript), (source) => {
      const result = compile("fuzz.mailchat", { source, env: { HOME: "/root", MAILCHAT_PASSWORD: "pw" }, vars: { x: "1", host: "h", user: "u", to: "t", port: "25" } });
      assert.ok(result.script !== undefined || result.diagnostics.length > 0);
      for (const d of result.diagnostics) {
        assert.ok(d.message.length > 0);
        // Every diagnostic of a script read from text has a place in it.
        assert.ok(d.span !== undefined, `no place for: ${d.code} ${d.message}`);
        assert.ok(d.span.line >= 1 && d.span.column >= 1);
      }
    }),
  );
});
