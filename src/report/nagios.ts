// Monitoring-plugin output (Nagios, Icinga, Naemon, Sensu, Zabbix's Nagios mode): one status
// line with performance data, then one line per failed or warning check. The CLI maps the
// outcome to the plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; see pluginExit).
import { EXIT, type Measurement, type RunEvent } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";
import { decimal, measurementLabel, perfItem, perfLabel } from "./perfdata.js";
import type { Reporter, ReporterOptions } from "./types.js";

/** mailchat's exit status → the plugin's: a failed expectation or connection is CRITICAL, an
 *  invalid script or command line UNKNOWN. */
export const EXIT_TO_PLUGIN: Record<number, number> = { [EXIT.ok]: 0, [EXIT.expectationFailed]: 2, [EXIT.connectionFailed]: 2, [EXIT.invalid]: 3 };

/** The plugin status: a run that passed with a warning threshold crossed is WARNING (1). */
export function pluginExit(code: number, warned: boolean): number {
  const plugin = EXIT_TO_PLUGIN[code] ?? 3;
  return plugin === 0 && warned ? 1 : plugin;
}

interface RunLine {
  name: string;
  status: string;
  ms: number;
  why?: string;
  /** The first warning, when the run passed with warnings. */
  warning?: string;
  /** Measurements a step held to a threshold: they go to the perfdata with warn and crit. */
  measures: Measurement[];
}

export class NagiosReporter implements Reporter {
  private readonly runs: RunLine[] = [];
  private readonly invalid: string[] = [];
  private current: RunLine | undefined;

  constructor(private readonly options: ReporterOptions) {}

  event(e: RunEvent): void {
    if (e.type === "invalid") this.invalid.push(`${e.file}: ${e.diagnostics[0]?.message ?? "invalid"}`);
    else if (e.type === "run-start") this.current = { name: e.target ?? e.file, status: "running", ms: 0, measures: [] };
    else if (e.type === "measure" && this.current && e.measure.limit) this.current.measures.push(e.measure);
    else if (e.type === "step-end" && this.current) {
      const failure = e.failure ?? e.connectionFailure;
      if (failure && !this.current.why) this.current.why = `line ${e.step.span.line}: ${failure.message}`;
      if (e.warning && !this.current.warning) this.current.warning = `line ${e.step.span.line}: ${e.warning.message}`;
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
    const bad = this.runs.filter((r) => r.status === "fail" || r.status === "error");
    const warned = this.runs.filter((r) => r.status === "warning");
    const state = bad.length > 0 ? "CRITICAL" : warned.length > 0 ? "WARNING" : "OK";
    const n = this.runs.length;
    const head =
      bad.length > 0
        ? `${bad.length} of ${n} checks failed: ${oneLine(`${bad[0]!.name}: ${bad[0]!.why ?? bad[0]!.status}`)}`
        : warned.length > 0
          ? `${n} of ${n} checks passed, ${warned.length} with warnings: ${oneLine(`${warned[0]!.name}: ${warned[0]!.warning ?? "warning"}`)}`
          : `${n} of ${n} checks passed`;
    const total = this.runs.reduce((sum, r) => sum + r.ms, 0);
    const perfdata = [
      `passed=${n - bad.length};;;0;${n}`,
      `failed=${bad.length};;1;0;${n}`,
      `warnings=${warned.length};;;0;${n}`,
      `time=${decimal(total / 1000, 3)}s;;;0`,
      ...this.runs.map((r) => `${perfLabel(r.name)}=${decimal(r.ms / 1000, 3)}s;;;0`),
      ...this.thresholdItems(),
    ];
    const details = [...bad.slice(1).map((r) => `${r.name}: ${r.why ?? r.status}`), ...warned.slice(bad.length > 0 ? 0 : 1).map((r) => `WARNING ${r.name}: ${r.warning ?? "warning"}`)].map(oneLine);
    this.options.write(`MAILCHAT ${state} - ${head} | ${perfdata.join(" ")}\n${details.map((d) => `${d}\n`).join("")}`);
  }

  /** Each asserted measurement with its warn and crit ranges; labels made unique. */
  private thresholdItems(): string[] {
    const seen = new Map<string, number>();
    return this.runs.flatMap((run) =>
      run.measures.map((m) => {
        let label = measurementLabel(m, this.runs.length > 1 ? run.name : undefined);
        const count = (seen.get(label) ?? 0) + 1;
        seen.set(label, count);
        if (count > 1) label = `${label}_${count}`;
        return perfItem(label, m);
      }),
    );
  }
}
