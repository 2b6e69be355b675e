// Monitoring-plugin output (Nagios, Icinga, Naemon, Sensu, Zabbix's Nagios mode): one status
// line with performance data, then one line per failed check. The CLI maps the exit status
// to the plugin convention (0 OK, 2 CRITICAL, 3 UNKNOWN; see EXIT_TO_PLUGIN).
import { EXIT, type RunEvent } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";
import type { Reporter, ReporterOptions } from "./types.js";

/** mailchat's exit status → the plugin's: a failed expectation or connection is CRITICAL, an
 *  invalid script or command line UNKNOWN. */
export const EXIT_TO_PLUGIN: Record<number, number> = { [EXIT.ok]: 0, [EXIT.expectationFailed]: 2, [EXIT.connectionFailed]: 2, [EXIT.invalid]: 3 };

/** Perfdata labels: letters, digits and _ . - only (no quotes or = to escape). */
const label = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60);

export class NagiosReporter implements Reporter {
  private readonly runs: Array<{ name: string; status: string; ms: number; why?: string }> = [];
  private readonly invalid: string[] = [];
  private current: { name: string; why?: string } | undefined;

  constructor(private readonly options: ReporterOptions) {}

  event(e: RunEvent): void {
    if (e.type === "invalid") this.invalid.push(`${e.file}: ${e.diagnostics[0]?.message ?? "invalid"}`);
    else if (e.type === "run-start") this.current = { name: e.target ?? e.file };
    else if (e.type === "step-end" && this.current && !this.current.why) {
      const failure = e.failure ?? e.connectionFailure;
      if (failure) this.current.why = `line ${e.step.span.line}: ${failure.message}`;
    } else if (e.type === "run-end" && this.current) {
      this.runs.push({ ...this.current, status: e.status, ms: e.ms });
      this.current = undefined;
    }
  }

  finish(): void {
    // One line each, and no control byte a server sent reaches the monitoring system raw.
    const oneLine = (text: string) => printable(text.replace(/[\r\n|]+/g, " "), false);
    if (this.invalid.length > 0) {
      this.options.write(`MAILCHAT UNKNOWN - ${oneLine(this.invalid[0]!)}\n${this.invalid.slice(1).map(oneLine).join("\n")}${this.invalid.length > 1 ? "\n" : ""}`);
      return;
    }
    const bad = this.runs.filter((r) => r.status !== "pass");
    const state = bad.length === 0 ? "OK" : "CRITICAL";
    const head = bad.length === 0 ? `${this.runs.length} of ${this.runs.length} checks passed` : `${bad.length} of ${this.runs.length} checks failed: ${oneLine(`${bad[0]!.name}: ${bad[0]!.why ?? bad[0]!.status}`)}`;
    const total = this.runs.reduce((sum, r) => sum + r.ms, 0);
    const perfdata = [`passed=${this.runs.length - bad.length};;;0;${this.runs.length}`, `failed=${bad.length};;1;0;${this.runs.length}`, `time=${(total / 1000).toFixed(3)}s;;;0`, ...this.runs.map((r) => `'${label(r.name)}'=${(r.ms / 1000).toFixed(3)}s;;;0`)];
    const details = bad.slice(1).map((r) => oneLine(`${r.name}: ${r.why ?? r.status}`));
    this.options.write(`MAILCHAT ${state} - ${head} | ${perfdata.join(" ")}\n${details.map((d) => `${d}\n`).join("")}`);
  }
}
