// Random pastes (seeded, so a failure reproduces): the importer answers with a script that
// compiles — never with an exception a user would see as a stack trace. The compiler and the
// framers are covered by the fast-check properties in test/property/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../src/compile/compile.js";
import { generateScript } from "../../src/import/generate.js";
import { readTranscript } from "../../src/import/transcript.js";

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
