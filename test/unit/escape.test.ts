// The transcript's one rule for bytes from the wire (src/transcript/escape.ts): printable text
// as it is, everything else as an escape that reads back to the same bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeBytes } from "../../src/transcript/escape.js";

const cases: Array<[what: string, bytes: Buffer, shown: string]> = [
  ["printable ASCII, as it is", Buffer.from("250 2.0.0 Ok: queued as 4F3k"), "250 2.0.0 Ok: queued as 4F3k"],
  ["a backslash, doubled", Buffer.from("C:\\mail"), "C:\\\\mail"],
  ["CR, LF, TAB and NUL, by name", Buffer.from("a\r\n\t\0b"), "a\\r\\n\\t\\0b"],
  ["other C0 controls and DEL, in hex", Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x7f]), "\\x1b[2J\\x07\\x7f"],
  ["valid UTF-8, as it is", Buffer.from("résumé 日本"), "résumé 日本"],
  ["bytes that are not UTF-8, in hex", Buffer.from([0x61, 0xff, 0xc3, 0x62]), "a\\xff\\xc3b"],
  ["a byte-order mark first, escaped, not dropped", Buffer.from("\uFEFF220 ready"), "\\u{feff}220 ready"],
  ["a byte-order mark after text", Buffer.from("220\uFEFF ready"), "220\\u{feff} ready"],
  ["a bidi override and a zero-width space", Buffer.from("a\u202Eb\u200Bc"), "a\\u{202e}b\\u{200b}c"],
  ["nothing", Buffer.alloc(0), ""],
];

for (const [what, bytes, shown] of cases) {
  test(`escapeBytes: ${what}`, () => {
    assert.equal(escapeBytes(bytes), shown);
    // Any Uint8Array (a view into a larger buffer included) reads the same as a Buffer.
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes, 2);
    assert.equal(escapeBytes(padded.subarray(2, 2 + bytes.length)), shown);
  });
}
