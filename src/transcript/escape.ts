// The one rule for showing bytes that came from the wire. A server nobody trusts must not be
// able to move the cursor, retitle the terminal, erase a line or hide text, and a golden
// transcript must keep exactly what was sent. So every byte that is not printable text is
// written as an escape, and the escapes read back to the same bytes:
//
//   \\  a backslash          \r \n \t \0  those control characters
//   \xHH  any other C0 control, DEL, or a byte that is not part of valid UTF-8
//   \u{HHHH}  a valid UTF-8 character that is invisible or reorders text: C1 controls,
//             format characters (bidi overrides, zero-width spaces), line/paragraph separators
//
// Everything else (printable ASCII and printable Unicode) is shown as it is.

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const NAMED: Record<number, string> = { 0x5c: "\\\\", 0x0d: "\\r", 0x0a: "\\n", 0x09: "\\t", 0x00: "\\0" };

const hex2 = (byte: number) => `\\x${byte.toString(16).padStart(2, "0")}`;

/** Length of the valid UTF-8 sequence at `i` (2–4), or 0 when the bytes there are not one. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  let length: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) [length, min] = [2, 0x80];
  else if (b0 >= 0xe0 && b0 <= 0xef) [length, min] = [3, 0x800];
  else if (b0 >= 0xf0 && b0 <= 0xf4) [length, min] = [4, 0x10000];
  else return 0;
  if (i + length > bytes.length) return 0;
  let code = b0 & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (b & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

/** Bytes as printable, unambiguous text (the rule above). */
export function escapeBytes(bytes: Uint8Array): string {
  let out = "";
  let plainStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) {
      i += 1;
      continue;
    }
    if (b < 0x80) {
      out += utf8(bytes, plainStart, i) + (NAMED[b] ?? hex2(b));
      i += 1;
      plainStart = i;
      continue;
    }
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      out += utf8(bytes, plainStart, i) + hex2(b);
      i += 1;
      plainStart = i;
      continue;
    }
    const char = utf8(bytes, i, i + length);
    if (INVISIBLE.test(char)) {
      out += `${utf8(bytes, plainStart, i)}\\u{${char.codePointAt(0)!.toString(16)}}`;
      i += length;
      plainStart = i;
      continue;
    }
    i += length;
  }
  // Most lines are printable ASCII throughout: one string, no copy of the bytes.
  return plainStart === 0 ? utf8(bytes, 0, i) : out + utf8(bytes, plainStart, i);
}

// ignoreBOM: a U+FEFF in the bytes is a character to escape, not a mark to drop. Made when
// first needed: a start-up snapshot cannot hold the native decoder.
let decoder: InstanceType<typeof TextDecoder> | undefined;

/** bytes[start, end) decoded as UTF-8 ("" when empty). */
function utf8(bytes: Uint8Array, start: number, end: number): string {
  if (end <= start) return "";
  return Buffer.isBuffer(bytes) ? bytes.toString("utf8", start, end) : (decoder ??= new TextDecoder("utf-8", { ignoreBOM: true })).decode(bytes.subarray(start, end));
}

/** A string (UTF-8) shown by the same rule. */
export function escapeText(text: string): string {
  // Fast path: printable ASCII without a backslash is shown as it is.
  if (/^[\x20-\x5b\x5d-\x7e]*$/.test(text)) return text;
  return escapeBytes(Buffer.from(text, "utf8"));
}

/** The inverse of escapeBytes: escaped text back to the exact bytes. An unknown escape
 *  (a hand-edited file) is kept as the characters typed. */
export function unescapeBytes(text: string): Buffer {
  if (!text.includes("\\")) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  let plain = "";
  const flush = () => {
    if (plain) parts.push(Buffer.from(plain, "utf8"));
    plain = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== "\\" || i === text.length - 1) {
      plain += ch;
      continue;
    }
    const next = text[i + 1]!;
    const simple: Record<string, string> = { "\\": "\\", r: "\r", n: "\n", t: "\t", "0": "\0" };
    if (simple[next] !== undefined) {
      plain += simple[next];
      i += 1;
      continue;
    }
    const byte = next === "x" ? /^[0-9a-fA-F]{2}/.exec(text.slice(i + 2, i + 4)) : null;
    if (byte) {
      flush();
      parts.push(Buffer.from([parseInt(byte[0], 16)]));
      i += 3;
      continue;
    }
    const code = next === "u" ? /^\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(i + 2, i + 11)) : null;
    if (code && parseInt(code[1]!, 16) <= 0x10ffff) {
      plain += String.fromCodePoint(parseInt(code[1]!, 16));
      i += 1 + code[0].length;
      continue;
    }
    plain += ch;
  }
  flush();
  return Buffer.concat(parts);
}

/** The escapes in escaped text, for reporters that show them in a style of their own. */
export const ESCAPE_PATTERN = /\\(?:x[0-9a-f]{2}|u\{[0-9a-f]+\}|[rnt0\\])/g;

const STRAY_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * The last guard before a human-readable output: any control or invisible character left in
 * a string (a certificate subject, an OpenSSL message, a framing error's preview) is escaped.
 * Line feeds are kept where `keepNewlines` says the text is several lines. Backslashes are
 * left alone, so text that is already escaped passes through unchanged.
 */
export function printable(text: string, keepNewlines = true): string {
  return text.replace(STRAY_CONTROL, (ch) => {
    if (ch === "\n" && keepNewlines) return ch;
    const code = ch.codePointAt(0)!;
    if (code < 0x80) return NAMED[code] ?? hex2(code);
    return `\\u{${code.toString(16)}}`;
  });
}
