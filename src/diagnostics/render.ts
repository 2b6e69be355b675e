// Renders a Diagnostic rustc/Hurl-style: the message, `--> file:line:col`, the source line
// with a caret run under the span, and a help line. One renderer for every stage.
import { Chalk } from "chalk";
import type { Diagnostic } from "../../grammar/diagnostic.js";
import { printable } from "../transcript/escape.js";

/** Script text as the terminal shows it: a control byte pasted into a script is escaped, not
 *  obeyed; tabs stay tabs so the caret lines up on any tab width. */
const visible = (text: string) => text.split("\t").map((piece) => printable(piece, false)).join("\t");

export function renderDiagnostic(d: Diagnostic, sourceOf: (file: string) => string | undefined, options: { color: boolean }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out = [`${c.red.bold("error")}${c.bold(`: ${printable(d.message, false)}`)}`];
  const span = d.span;
  const source = span ? sourceOf(span.file) : undefined;
  const line = span && source !== undefined ? source.split(/\r?\n/)[span.line - 1] : undefined;
  if (span) {
    const number = String(span.line);
    const gutter = " ".repeat(number.length);
    out.push(`${gutter}${c.blue("-->")} ${printable(span.file, false)}:${span.line}:${span.column}`);
    if (line !== undefined) {
      // The caret run measures the line as shown (escapes included); tabs are kept in it.
      const start = span.column - 1;
      const end = start + Math.max(1, Math.min(span.end - span.start, line.length - start));
      const before = visible(line.slice(0, start)).replace(/[^\t]/g, " ");
      const width = Math.max(1, visible(line.slice(start, end)).length);
      out.push(`${gutter} ${c.blue("|")}`);
      out.push(`${c.blue(number)} ${c.blue("|")} ${visible(line)}`);
      out.push(`${gutter} ${c.blue("|")} ${before}${c.red.bold("^".repeat(width))}${d.label ? ` ${c.red.bold(d.label)}` : ""}`);
      if (d.help) out.push(`${gutter} ${c.blue("|")}`);
    }
    if (d.help) out.push(`${gutter} ${c.blue("=")} ${c.bold("help")}: ${printable(d.help, false)}`);
  } else if (d.help) {
    out.push(`  ${c.blue("=")} ${c.bold("help")}: ${printable(d.help, false)}`);
  }
  return out.join("\n");
}

export function renderDiagnostics(list: readonly Diagnostic[], sourceOf: (file: string) => string | undefined, options: { color: boolean }): string {
  return list.map((d) => renderDiagnostic(d, sourceOf, options)).join("\n\n");
}
