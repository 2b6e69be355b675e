// The secret book's per-character masking (issue 21, item 8): a secret written a character
// at a time, each character as itself or in an encoding, is masked in text and in wire bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SecretBook } from "../../src/secrets/book.js";

const SECRET = "Ab&ö";
/** SECRET spelled a character at a time: each encoding, with its variants, and mixed. */
const SPELLINGS = [
  "&#65;&#98;&#38;&#246;",
  "&#00065&#098&#038&#0246", // leading zeros, no `;`
  "&#x41;&#x62;&#x26;&#xf6;",
  "&#X41&#X0062&#X26&#XF6", // upper-case X and digits, no `;`
  "\\u0041\\u0062\\u0026\\u00f6",
  "\\u0041\\u0062\\u0026\\u00F6",
  "\\u{41}\\u{0062}\\u{26}\\u{F6}",
  "%41%62%26%C3%B6", // percent-encoding of the UTF-8 bytes
  "%41%62%26%c3%b6",
  "\\x41\\x62\\x26\\xc3\\xb6", // \x of the UTF-8 bytes
  "\\x41\\x62\\x26\\xF6", // \x of the Latin-1 code point
  "A&#98;&\\u00f6",
  "&#65;b%26ö",
  "A\\x62&amp;%C3%B6",
  "Ab&#38&#xF6",
];

function book(...secrets: string[]): SecretBook {
  const out = new SecretBook();
  for (const secret of secrets) out.add(secret);
  return out;
}

test("a secret spelled a character at a time in any encoding, or mixed, is masked in text", () => {
  const secrets = book(SECRET);
  for (const spelling of SPELLINGS) assert.equal(secrets.redact(`535 5.7.8 ${spelling} refused`), "535 5.7.8 ******** refused", spelling);
});

test("and in wire bytes, before they are escaped for the transcript", () => {
  const secrets = book(SECRET);
  for (const spelling of SPELLINGS) assert.equal(secrets.show(Buffer.from(`535 ${spelling}\r\n`)), "535 ********\\r\\n", spelling);
  // A Latin-1 server's byte for ö, next to encoded characters.
  assert.equal(secrets.show(Buffer.concat([Buffer.from("535 &#65;b&"), Buffer.from([0xf6])])), "535 ********");
});

test("a backslash of the secret next to backslash escapes, and characters above U+FFFF", () => {
  const secrets = book("k\\🐤y");
  for (const spelling of ["k\\u005c\\uD83D\\uDC24y", "k\\\\&#128036;y", "k\\%F0%9F%90%A4y", "k\\\\u{1F424}y", "k\\x5c\\xf0\\x9f\\x90\\xa4y", "k&#92;\\ud83d\\udc24y"]) {
    assert.equal(secrets.redact(`<${spelling}>`), "<********>", spelling);
    assert.equal(secrets.show(Buffer.from(`<${spelling}>`)), "<********>", spelling);
  }
});

test("text that only looks like the secret is left alone", () => {
  const secrets = book("A12", SECRET);
  // &#6512 is U+1970 (a bare reference reads every digit); the others spell other values.
  for (const text of ["x &#6512 y", "x &#65;13 y", "&#65;b&#38;", "\\u0041\\u0062\\u0026o", "%41%62%26%F6"]) assert.equal(secrets.redact(text), text);
  assert.equal(secrets.redact("x &#65;12 y"), "x ******** y");
});

test("the whole-string forms are still masked, and --show-secrets masks nothing", () => {
  const secrets = book("s3cr3t");
  assert.equal(secrets.redact(`AUTH LOGIN ${Buffer.from("s3cr3t").toString("base64")}`), "AUTH LOGIN ********");
  assert.equal(secrets.redact("pw=s3cr3t hex=733363723374 &#115;3cr3t"), "pw=******** hex=******** ********");
  const shown = new SecretBook(true);
  shown.add("s3cr3t");
  assert.equal(shown.redact("&#115;3cr3t"), "&#115;3cr3t");
});

test("masking stays cheap on long lines, whatever the server sends", () => {
  const secrets = book(SECRET, `${"a".repeat(99)}b`);
  const lines = [
    Buffer.from(`250 ${"x".repeat(8_188)}`), // no encoding character: only the whole forms are looked for
    Buffer.from(`250 ${"a&b%c\\d".repeat(1_170)}`), // encoding characters everywhere
    Buffer.from(`250 ${`${"a".repeat(98)}&`.repeat(82)}`), // the long secret's prefix, again and again
  ];
  for (const line of lines) {
    const started = performance.now();
    for (let i = 0; i < 10; i++) secrets.show(line);
    const ms = (performance.now() - started) / 10;
    assert.ok(ms < 250, `${ms.toFixed(1)} ms for a ${line.length}-byte line`);
  }
  // A long secret (a bearer token) needs no regex as long as itself.
  const token = book(`${"t".repeat(3_000)}!`);
  assert.equal(token.redact(`Bearer ${"&#116;".repeat(3_000)}%21`), "Bearer ********");
});
