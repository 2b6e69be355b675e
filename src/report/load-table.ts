// A load run's figures as text lines: the totals, the latency table by step kind, the
// failures by cause. Pretty prints them; the JSON report carries the same summary as data.
import type { LoadSummary } from "../runtime/events.js";

const ORDER = ["session", "connect", "starttls", "auth", "send", "pipeline", "expect", "data", "data-file", "bdat", "bdat-file", "close", "end"];

export function loadLines(summary: LoadSummary): { totals: string; table: string[]; failures: string[] } {
  const seconds = (summary.ms / 1000).toFixed(1);
  const outcome = [`${summary.passed} passed`, summary.failed ? `${summary.failed} failed` : "", summary.errored ? `${summary.errored} could not connect` : ""].filter(Boolean).join(", ");
  const totals = `${summary.sessions} sessions of ${summary.file}, ${summary.concurrency} at a time, in ${seconds} s: ${summary.sessionsPerSecond} sessions/s (${outcome})`;
  const kinds = Object.keys(summary.latency).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  const table = [`  ${"latency (ms)".padEnd(14)}${["p50", "p95", "p99", "max", "count"].map((h) => h.padStart(8)).join("")}`];
  for (const kind of kinds) {
    const l = summary.latency[kind]!;
    table.push(`  ${kind.padEnd(14)}${[l.p50, l.p95, l.p99, l.max, l.count].map((n) => String(n).padStart(8)).join("")}`);
  }
  const failures = summary.failures.map((f) => `  ${f.count}× ${f.cause} (first in session ${f.first.session}, line ${f.first.line}: ${f.first.source})`);
  return { totals, table, failures };
}
