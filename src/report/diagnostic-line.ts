// A compile diagnostic in one line, for reports: `file:line:col: message (help)`.
import type { Diagnostic } from "../../grammar/diagnostic.js";

export function diagnosticLine(d: Diagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.column}: ` : "";
  return `${where}${d.message}${d.help ? ` (${d.help})` : ""}`;
}
