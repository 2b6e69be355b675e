// One error shape for every stage (lexing, parsing, compiling, the command line):
// a stable code, where it happened, and what to do about it. Rendered by src/diagnostics.
import type { Span } from "./ast.js";

export interface Diagnostic {
  /** Stable identifier, for tests and the JSON report: "syntax", "unknown-variable", … */
  code: string;
  /** One line: what is wrong. */
  message: string;
  span?: Span;
  /** The text printed under the caret, when it says more than the message. */
  label?: string;
  /** A suggestion: "did you mean `expect`?", "pass --var host=…". */
  help?: string;
}

export function diagnostic(code: string, message: string, span?: Span, help?: string): Diagnostic {
  const d: Diagnostic = { code, message };
  if (span) d.span = span;
  if (help) d.help = help;
  return d;
}

/** Levenshtein distance, for "did you mean" on near-miss keywords and names. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A transposition ("hots" for "host") costs 2, so longer words get that much slack.
  const slack = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= slack ? best : undefined;
}
