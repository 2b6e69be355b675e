// The figures of a load run: sessions per second, latency percentiles per step kind, and the
// failures grouped by cause. Sessions report here as they end; nothing of a session is kept
// but its timings and, for a failure, its cause.
import type { Latency, LoadSummary, RunEvent } from "../runtime/events.js";

export type { Latency, LoadSummary };

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function latency(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return { count: list.length, p50: percentile(list, 50), p95: percentile(list, 95), p99: percentile(list, 99), max: list[list.length - 1] ?? 0 };
}

/** A failure's message with what varies from session to session (ports, ids, times) blurred,
 *  so that the same cause is counted once. */
export function causeOf(message: string): string {
  return message.replace(/\b\d+(\.\d+)?\s*(ms|s)\b/g, "N $2").replace(/:\d{2,5}\b/g, ":PORT").replace(/\b[0-9A-F]{8,}\b/g, "ID");
}

/** What a session leaves for the figures: its steps' timings, its status, its failures. */
export interface SessionFigures {
  index: number;
  steps: Array<[kind: string, ms: number]>;
  ms: number;
  status: "pass" | "warning" | "fail" | "error";
  failures: Array<{ message: string; exitCode: number; line: number; source: string }>;
}

export function compactSession(index: number, events: readonly RunEvent[]): SessionFigures {
  const figures: SessionFigures = { index, steps: [], ms: 0, status: "pass", failures: [] };
  for (const event of events) {
    if (event.type === "step-end") {
      figures.steps.push([event.step.kind, event.ms]);
      const failure = event.failure?.message ?? event.connectionFailure?.message;
      if (failure) figures.failures.push({ message: failure, exitCode: event.failure ? 1 : 3, line: event.step.span.line, source: event.step.source });
    } else if (event.type === "run-end") {
      figures.ms = event.ms;
      figures.status = event.status;
    }
  }
  return figures;
}

export class LoadRecorder {
  private readonly timings = new Map<string, number[]>();
  private readonly causes = new Map<string, LoadSummary["failures"][number]>();
  private passed = 0;
  private failed = 0;
  private errored = 0;

  constructor(
    private readonly file: string,
    private readonly concurrency: number,
  ) {}

  /** Folds one session in (its events, or its figures from a worker thread). */
  session(index: number, events: readonly RunEvent[]): void {
    this.add(compactSession(index, events));
  }

  add(figures: SessionFigures): void {
    for (const [kind, ms] of figures.steps) this.time(kind, ms);
    for (const failure of figures.failures) {
      const cause = causeOf(failure.message);
      const known = this.causes.get(cause);
      if (known) known.count += 1;
      else this.causes.set(cause, { cause, count: 1, exitCode: failure.exitCode, first: { session: figures.index + 1, line: failure.line, source: failure.source } });
    }
    this.time("session", figures.ms);
    if (figures.status === "pass" || figures.status === "warning") this.passed += 1;
    else if (figures.status === "fail") this.failed += 1;
    else this.errored += 1;
  }

  private time(kind: string, ms: number): void {
    const list = this.timings.get(kind) ?? [];
    list.push(ms);
    this.timings.set(kind, list);
  }

  summary(ms: number): LoadSummary {
    const sessions = this.passed + this.failed + this.errored;
    const latencies: Record<string, Latency> = {};
    for (const [kind, values] of this.timings) latencies[kind] = latency(values);
    return {
      file: this.file,
      sessions,
      concurrency: this.concurrency,
      passed: this.passed,
      failed: this.failed,
      errored: this.errored,
      ms,
      sessionsPerSecond: ms > 0 ? Math.round((sessions / ms) * 1000 * 10) / 10 : 0,
      latency: latencies,
      failures: [...this.causes.values()].sort((a, b) => b.count - a.count),
    };
  }
}
