// The one place that knows the secrets of a run and every form they take. Every channel that
// writes anything (the runner's events, reporters, golden files, import, serve, standard
// error) passes its text through the same book, so a password that reaches the book by any
// route — an `auth` statement, a `secret` param, --secret, or a credential recognised by its
// place in the protocol — is masked everywhere after that.
import { SECRET_PLACEHOLDER } from "../limits.js";
import { escapeBytes } from "../transcript/escape.js";
import { escapeRegex } from "../regex-escape.js";

/** Values shorter than this are masked only where the protocol says they are credentials:
 *  masking every "pw" in a transcript would hide more than it protects. */
export const MIN_MASKED_LENGTH = 3;
/** Derived forms (base64 fragments, hex) shorter than this match too much by chance. */
const MIN_DERIVED_LENGTH = 4;

const PLACEHOLDER_BYTES = Buffer.from(SECRET_PLACEHOLDER);

/** Base64 of `value` as it appears inside a longer base64 text, at each of the three byte
 *  offsets: only the characters that depend on the value's bytes alone. */
export function base64Fragments(value: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const low = Buffer.concat([Buffer.alloc(offset, 0x00), value, Buffer.alloc(2, 0x00)]).toString("base64");
    const high = Buffer.concat([Buffer.alloc(offset, 0xff), value, Buffer.alloc(2, 0xff)]).toString("base64");
    // Characters influenced by the surrounding bytes differ between the two encodings.
    const first = Math.ceil((offset * 8) / 6);
    const last = Math.floor(((offset + value.length) * 8) / 6);
    const fragment = low.slice(first, last);
    if (fragment === high.slice(first, last) && fragment.length >= MIN_DERIVED_LENGTH) out.push(fragment);
  }
  return out;
}

const xmlNamed: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const xmlNumeric: Record<string, string> = { "&": "&#38;", "<": "&#60;", ">": "&#62;", '"': "&#34;", "'": "&#39;" };

/** Every textual form a value takes in the outputs mailchat writes or a server may echo. */
export function textForms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = new Set<string>([value]);
  forms.add(escapeBytes(bytes)); // the transcript's own escaping (a backslash doubled, …)
  forms.add(value.replace(/[\\"]/g, (ch) => `\\${ch}`)); // IMAP quoted string, RFC 9051 §4.3
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));
  forms.add(value.replace(/[&<>"']/g, (ch) => xmlNamed[ch]!));
  forms.add(value.replace(/[&<>"']/g, (ch) => xmlNumeric[ch]!));
  forms.add(value.replace(/[&<>]/g, (ch) => xmlNamed[ch]!));
  const url = encodeURIComponent(value);
  forms.add(url);
  forms.add(url.replace(/%20/g, "+"));
  forms.add(url.replace(/%[0-9A-F]{2}/g, (s) => s.toLowerCase()));
  for (const form of base64Fragments(bytes)) forms.add(form);
  const hex = bytes.toString("hex");
  if (hex.length >= MIN_DERIVED_LENGTH) {
    forms.add(hex);
    forms.add(hex.toUpperCase());
  }
  // A server that speaks Latin-1 echoes a non-ASCII password in other bytes.
  if (/[^\x00-\x7f]/.test(value) && !/[^\x00-\xff]/.test(value)) {
    const latin1 = Buffer.from(value, "latin1");
    forms.add(escapeBytes(latin1));
    for (const form of base64Fragments(latin1)) forms.add(form);
  }
  return [...forms].filter((form) => form.length >= MIN_MASKED_LENGTH);
}

/** A number in hex with either case of each letter: 0x4f → `4[fF]`. */
function hexPattern(value: number, width = 0): string {
  return value
    .toString(16)
    .padStart(width, "0")
    .replace(/[a-f]/g, (digit) => `[${digit}${digit.toUpperCase()}]`);
}

/** Regex sources for the ways a server may write one character of a secret instead of the
 *  character itself: HTML numeric references (decimal or hex, leading zeros, the `;` left out
 *  where browsers accept it), named ones, `\uHHHH` (a surrogate pair above U+FFFF), `\u{H}`,
 *  percent-encoding and `\xHH` of its UTF-8 bytes, `\xHH` of a Latin-1 code point, and the
 *  backslash escapes of JSON, IMAP and the transcript. */
function encodedChar(ch: string): string[] {
  const code = ch.codePointAt(0)!;
  const utf8 = [...Buffer.from(ch, "utf8")];
  const units = code > 0xffff ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [code];
  const decimal = code === 0 ? "0+" : `0*${code}`;
  const hex = code === 0 ? "0+" : `0*${hexPattern(code)}`;
  const fixed = new Set([escapeBytes(Buffer.from(ch, "utf8")), JSON.stringify(ch).slice(1, -1), ch.replace(/[\\"]/, "\\$&"), xmlNamed[ch] ?? ch]);
  fixed.delete(ch);
  const out = [
    `&#${decimal}(?:;|(?![0-9]))`,
    `&#[xX]${hex}(?:;|(?![0-9a-fA-F]))`,
    `\\\\u\\{${hex}\\}`,
    units.map((unit) => `\\\\u${hexPattern(unit, 4)}`).join(""),
    utf8.map((byte) => `%${hexPattern(byte, 2)}`).join(""),
    utf8.map((byte) => `\\\\x${hexPattern(byte, 2)}`).join(""),
    ...[...fixed].map(escapeRegex),
  ];
  if (code >= 0x80 && code <= 0xff) out.push(`\\\\x${hexPattern(code, 2)}`);
  if (ch === " ") out.push("\\+");
  return out;
}

/** The first character of every encoded form above but `+` (a space in a URL query). */
const ENCODING_STARTS = "&%\\";

/** One character of a secret: the ways it is written as itself, and one sticky regex of its
 *  encodings (no two of which can match at one place, so the first that matches is the one). */
interface CharForms {
  literals: string[];
  encoded: RegExp;
  /** The characters an encoding starts with: a cheap test before the regex. */
  starts: string;
}

/** Built once a character and literal set, shared by every secret (a token repeats its few
 *  dozen characters); the sticky regex is used synchronously, so sharing it is safe. */
const charFormsCache = new Map<string, CharForms>();

function charForms(ch: string, literals: string[]): CharForms {
  const key = [ch, ...literals].join("\0");
  let forms = charFormsCache.get(key);
  if (!forms) {
    forms = { literals, encoded: new RegExp(encodedChar(ch).join("|"), "y"), starts: ch === " " ? `${ENCODING_STARTS}+` : ENCODING_STARTS };
    charFormsCache.set(key, forms);
  }
  return forms;
}

/** Finds, natively, the next place where a character's forms start. */
function firstCharacter(forms: CharForms): RegExp {
  return new RegExp([forms.encoded.source, ...forms.literals.map(escapeRegex)].join("|"), "g");
}

/**
 * A secret written character by character, each character as itself or in any encoding of
 * encodedChar(), mixed freely. A literal form can be the start of an encoded one (`\` of
 * `\x3c`, `&` of `&#38;`), so every place a character's forms can end is carried to the next
 * character, as a set, never by backtracking: a line costs at most (its length × the secret's
 * length × a few) fixed-string and sticky matches, however the server builds it.
 */
class PerCharacter {
  private readonly text: CharForms[];
  private readonly bytes: CharForms[];
  /** What starts an encoding of any of the secret's characters. */
  private readonly markers: string;
  /** A spelling's first encoded character starts within this many units of its start. */
  private readonly reach: { text: number; bytes: number };
  private readonly head: { text: RegExp; bytes: RegExp };
  constructor(value: string) {
    const chars = [...value];
    this.text = chars.map((ch) => charForms(ch, [ch]));
    // Wire bytes are read as Latin-1 text: a character is its UTF-8 bytes, or its one
    // Latin-1 byte from a server that speaks Latin-1.
    this.bytes = chars.map((ch) => {
      const code = ch.codePointAt(0)!;
      const utf8 = Buffer.from(ch, "utf8").toString("latin1");
      return charForms(ch, code >= 0x80 && code <= 0xff ? [utf8, ch] : [utf8]);
    });
    this.markers = value.includes(" ") ? `${ENCODING_STARTS}+` : ENCODING_STARTS;
    const reach = (forms: CharForms[]) => forms.slice(0, -1).reduce((sum, char) => sum + Math.max(...char.literals.map((literal) => literal.length)), 0);
    this.reach = { text: reach(this.text), bytes: reach(this.bytes) };
    this.head = { text: firstCharacter(this.text[0]!), bytes: firstCharacter(this.bytes[0]!) };
  }

  /** The [start, end) spans of `text` that spell the secret with at least one character
   *  encoded (the literal secret is a whole form), leftmost and longest first. */
  spans(text: string, wire: boolean): Array<[number, number]> {
    const chars = wire ? this.bytes : this.text;
    const reach = wire ? this.reach.bytes : this.reach.text;
    const head = wire ? this.head.bytes : this.head.text;
    const found: Array<[number, number]> = [];
    let marker = -1;
    let start = 0;
    while (start < text.length) {
      if (marker < start) marker = this.nextMarker(text, start);
      if (marker < 0) break;
      head.lastIndex = Math.max(start, marker - reach);
      const candidate = head.exec(text);
      if (!candidate) break;
      start = candidate.index;
      if (start > marker) continue;
      const end = matchAt(text, start, chars);
      if (end < 0) start += 1;
      else {
        found.push([start, end]);
        start = end;
      }
    }
    return found;
  }

  private nextMarker(text: string, from: number): number {
    let first = -1;
    for (const ch of this.markers) {
      const at = text.indexOf(ch, from);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    return first;
  }
}

/** The furthest end of a spelling of `chars` that starts at `start`, or -1. */
function matchAt(text: string, start: number, chars: CharForms[]): number {
  let ends = [start];
  for (const { literals, encoded, starts } of chars) {
    const next: number[] = [];
    for (const at of ends) {
      for (const literal of literals) if (text.startsWith(literal, at) && !next.includes(at + literal.length)) next.push(at + literal.length);
      if (at < text.length && starts.includes(text[at]!)) {
        encoded.lastIndex = at;
        if (encoded.test(text) && !next.includes(encoded.lastIndex)) next.push(encoded.lastIndex);
      }
    }
    if (next.length === 0) return -1;
    ends = next;
  }
  return Math.max(...ends);
}

/** Text with the given spans (sorted, not overlapping) replaced by the placeholder. */
function replaceSpans(text: string, spans: Array<[number, number]>): string {
  let out = "";
  let from = 0;
  for (const [start, end] of spans) {
    out += text.slice(from, start) + SECRET_PLACEHOLDER;
    from = end;
  }
  return out + text.slice(from);
}

export class SecretBook {
  private readonly values = new Set<string>();
  private texts: string[] = [];
  private bytes: Buffer[] = [];
  private perCharacter: PerCharacter[] = [];
  /** The characters the per-character encodings start with: a text without any of them can
   *  hold a secret only literally, which the whole forms already catch. */
  private encodingStarts = ENCODING_STARTS;
  /** With --show-secrets nothing is masked. */
  constructor(readonly showSecrets = false) {}

  get size(): number {
    return this.values.size;
  }

  /** A secret value: it and all its derived forms are masked from now on. */
  add(value: string | undefined): void {
    if (!value || value.length < MIN_MASKED_LENGTH || this.values.has(value) || value === SECRET_PLACEHOLDER) return;
    this.values.add(value);
    this.learn(textForms(value), value);
    this.perCharacter.push(new PerCharacter(value));
    if (value.includes(" ")) this.encodingStarts = `${ENCODING_STARTS}+`;
  }

  /** An exact wire form known to carry a secret (a SASL response mailchat computed). */
  addExact(form: string | undefined): void {
    if (!form || form.length < MIN_MASKED_LENGTH || this.values.has(form)) return;
    this.values.add(form);
    this.learn([form, escapeBytes(Buffer.from(form, "utf8"))], form);
  }

  private learn(forms: string[], value: string): void {
    this.texts = [...new Set([...this.texts, ...forms])].sort((a, b) => b.length - a.length);
    const byteForms = forms.map((form) => Buffer.from(form, "utf8"));
    if (/[^\x00-\x7f]/.test(value) && !/[^\x00-\xff]/.test(value)) byteForms.push(Buffer.from(value, "latin1"));
    this.bytes = [...this.bytes, ...byteForms].sort((a, b) => b.length - a.length);
  }

  /** Text with every known form of every secret replaced by the placeholder. */
  redact(text: string): string {
    if (this.showSecrets || this.texts.length === 0) return text;
    let out = text;
    for (const form of this.texts) if (out.includes(form)) out = out.split(form).join(SECRET_PLACEHOLDER);
    return this.redactPerCharacter(out, false);
  }

  /** Secrets spelled a character at a time in encodings (`&#67;a&#x6E;…`, `%43%61…`). */
  private redactPerCharacter(text: string, wire: boolean): string {
    if (this.perCharacter.length === 0 || ![...this.encodingStarts].some((ch) => text.includes(ch))) return text;
    let out = text;
    for (const secret of this.perCharacter) {
      const spans = secret.spans(out, wire);
      if (spans.length > 0) out = replaceSpans(out, spans);
    }
    return out;
  }

  /** The same for bytes from the wire, before they are escaped for display. */
  redactBytes(input: Buffer): Buffer {
    if (this.showSecrets || this.bytes.length === 0) return input;
    let out = input;
    for (const form of this.bytes) {
      let at = out.indexOf(form);
      if (at < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at >= 0) {
        parts.push(out.subarray(from, at), PLACEHOLDER_BYTES);
        from = at + form.length;
        at = out.indexOf(form, from);
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    if (this.perCharacter.length === 0 || ![...this.encodingStarts].some((ch) => out.includes(ch.charCodeAt(0)))) return out;
    const latin1 = out.toString("latin1");
    const masked = this.redactPerCharacter(latin1, true);
    return masked === latin1 ? out : Buffer.from(masked, "latin1");
  }

  /** Wire bytes as a transcript shows them: masked, then escaped. */
  show(bytes: Buffer): string {
    return escapeBytes(this.redactBytes(bytes));
  }

  /** The values themselves, for tests and for --secret bookkeeping. */
  known(): string[] {
    return [...this.values];
  }
}
