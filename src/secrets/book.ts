// The one place that knows the secrets of a run and every form they take. Every channel that
// writes anything (the runner's events, reporters, golden files, import, serve, standard
// error) passes its text through the same book, so a password that reaches the book by any
// route — an `auth` statement, a `secret` param, --secret, or a credential recognised by its
// place in the protocol — is masked everywhere after that.
import { SECRET_PLACEHOLDER } from "../limits.js";
import { escapeBytes } from "../transcript/escape.js";

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

export class SecretBook {
  private readonly values = new Set<string>();
  private texts: string[] = [];
  private bytes: Buffer[] = [];
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
    return out;
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
