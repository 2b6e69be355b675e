// Renders a Diagnostic rustc/Hurl-style: the message, `--> file:line:col`, the source line
// with a caret run under the span, and a help line. One renderer for every stage.
import { Chalk } from "chalk";
import type { Diagnostic } from "../../grammar/diagnostic.js";

export function renderDiagnostic(d: Diagnostic, sourceOf: (file: string) => string | undefined, options: { color: boolean }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out = [`${c.red.bold("error")}${c.bold(`: ${d.message}`)}`];
  const span = d.span;
  const source = span ? sourceOf(span.file) : undefined;
  const line = span && source !== undefined ? source.split(/\r?\n/)[span.line - 1] : undefined;
  if (span) {
    const number = String(span.line);
    const gutter = " ".repeat(number.length);
    out.push(`${gutter}${c.blue("-->")} ${span.file}:${span.line}:${span.column}`);
    if (line !== undefined) {
      // Tabs are kept in the caret line so the caret stays under the span on any tab width.
      const before = line.slice(0, span.column - 1).replace(/[^\t]/g, " ");
      const width = Math.max(1, Math.min(span.end - span.start, line.length - (span.column - 1)));
      out.push(`${gutter} ${c.blue("|")}`);
      out.push(`${c.blue(number)} ${c.blue("|")} ${line}`);
      out.push(`${gutter} ${c.blue("|")} ${before}${c.red.bold("^".repeat(width))}${d.label ? ` ${c.red.bold(d.label)}` : ""}`);
      if (d.help) out.push(`${gutter} ${c.blue("|")}`);
    }
    if (d.help) out.push(`${gutter} ${c.blue("=")} ${c.bold("help")}: ${d.help}`);
  } else if (d.help) {
    out.push(`  ${c.blue("=")} ${c.bold("help")}: ${d.help}`);
  }
  return out.join("\n");
}

export function renderDiagnostics(list: readonly Diagnostic[], sourceOf: (file: string) => string | undefined, options: { color: boolean }): string {
  return list.map((d) => renderDiagnostic(d, sourceOf, options)).join("\n\n");
}
