// Text with `${name}`, `${name:-default}`, `${env.NAME}` interpolations, as it appears in
// words, `send` lines, message bodies and (after escape processing) quoted strings.
import type { Span, Template, TemplatePart } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostic.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Maps an index in the text to a span in the source. */
export type SpanOf = (from: number, to: number) => Span;

/**
 * Parses `text` into literal and variable parts. `$${` is a literal `${` (as in Compose
 * files), so a script can send the characters `${` when it has to.
 */
export function parseTemplate(text: string, spanOf: SpanOf, diagnostics: Diagnostic[]): Template {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      literal += "${";
      i += 3;
      continue;
    }
    if (!text.startsWith("${", i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf("}", i + 2);
    if (close < 0) {
      diagnostics.push(
        diagnostic("unclosed-interpolation", "`${` is not closed by `}`", spanOf(i, text.length), "write `$${` to send a literal `${`"),
      );
      literal += text.slice(i);
      break;
    }
    if (literal) parts.push({ kind: "text", text: literal });
    literal = "";
    parts.push(parseInterpolation(text.slice(i + 2, close), spanOf(i, close + 1), diagnostics));
    i = close + 1;
  }
  if (literal || parts.length === 0) parts.push({ kind: "text", text: literal });
  return { parts, span: spanOf(0, text.length) };
}

function parseInterpolation(inner: string, span: Span, diagnostics: Diagnostic[]): TemplatePart {
  const separator = inner.indexOf(":-");
  const reference = separator < 0 ? inner : inner.slice(0, separator);
  const fallback: Template | undefined =
    separator < 0 ? undefined : { parts: [{ kind: "text", text: inner.slice(separator + 2) }], span };
  const isEnv = reference.startsWith("env.");
  const name = isEnv ? reference.slice(4) : reference;
  if (!NAME.test(name)) {
    diagnostics.push(
      diagnostic(
        "bad-interpolation",
        `\`\${${inner}}\` is not a variable reference`,
        span,
        "write `${name}`, `${name:-default}` or `${env.NAME}`",
      ),
    );
  }
  const part: TemplatePart = isEnv ? { kind: "env", name, span } : { kind: "var", name, span };
  if (fallback) part.fallback = fallback;
  return part;
}

/** A template with no interpolation, as plain text. */
export function literalTemplate(text: string, span: Span): Template {
  return { parts: [{ kind: "text", text }], span };
}

const SIMPLE_ESCAPES: Record<string, string> = { "\\": "\\", '"': '"', r: "\r", n: "\n", t: "\t", $: "$" };

/**
 * Resolves the escapes of a quoted string (`\\ \" \r \n \t \xHH`, and `\$` for a literal
 * dollar) and keeps `${...}` for parseTemplate. Returns the text with `$${` standing for
 * an escaped `${`.
 */
export function unescapeString(body: string, spanOf: SpanOf, diagnostics: Diagnostic[]): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) break;
    if (next === "x") {
      const hex = body.slice(i + 2, i + 4);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out += String.fromCharCode(parseInt(hex, 16));
        i += 3;
        continue;
      }
      diagnostics.push(diagnostic("bad-escape", "`\\x` must be followed by two hex digits", spanOf(i, i + 2 + hex.length)));
      i += 1;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple === undefined) {
      diagnostics.push(
        diagnostic("bad-escape", `unknown escape \`\\${next}\``, spanOf(i, i + 2), "strings know \\\\ \\\" \\r \\n \\t \\xHH and \\$"),
      );
      out += next;
    } else if (next === "$" && body[i + 2] === "{") {
      out += "$$";
    } else {
      out += simple;
    }
    i += 1;
  }
  return out;
}
