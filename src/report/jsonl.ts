// One JSON object a line, one line a run, written as each run ends: what a monitoring system
// or a log pipeline ingests (Loki, Elastic, a Nagios/Icinga passive check, `jq`). A fleet
// run gives one record per script and target.
import type { Measurement, RunEvent, TlsFacts } from "../runtime/events.js";
import type { Reporter, ReporterOptions } from "./types.js";

interface Record {
  file: string;
  target?: string;
  status: string;
  exitCode: number;
  ms: number;
  startedAt: string;
  failures: Array<{ line: number; source: string; message: string; hint?: string }>;
  /** Warning thresholds crossed (status "warning" when nothing failed). */
  warnings: Array<{ line: number; source: string; message: string }>;
  /** Times (ms) and certificate days measured, with their thresholds when asserted. */
  measures: Measurement[];
  tls?: { version: string; cipher: string; certificateDaysLeft?: number; verified: boolean; chainComplete?: boolean; ocsp?: string };
}

export class JsonLinesReporter implements Reporter {
  private current: (Omit<Record, "status" | "exitCode" | "ms"> & { tlsFacts?: TlsFacts }) | undefined;

  constructor(private readonly options: ReporterOptions) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case "invalid":
        this.write({ file: e.file, status: "invalid", exitCode: 2, ms: 0, startedAt: new Date().toISOString(), failures: e.diagnostics.map((d) => ({ line: d.span?.line ?? 0, source: "", message: d.message, ...(d.help ? { hint: d.help } : {}) })), warnings: [], measures: [] });
        return;
      case "run-start":
        this.current = { file: e.file, ...(e.target ? { target: e.target } : {}), startedAt: e.time, failures: [], warnings: [], measures: [] };
        return;
      case "tls":
        if (this.current) this.current.tlsFacts = e.facts;
        return;
      case "measure":
        this.current?.measures.push(e.measure);
        return;
      case "step-end": {
        if (e.warning && this.current) this.current.warnings.push({ line: e.step.span.line, source: e.step.source, message: e.warning.message });
        const failure = e.failure ?? e.connectionFailure;
        if (failure && this.current) this.current.failures.push({ line: e.step.span.line, source: e.step.source, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) });
        return;
      }
      case "run-end": {
        if (!this.current) return;
        const { tlsFacts, ...rest } = this.current;
        const record: Record = { ...rest, status: e.status, exitCode: e.exitCode, ms: e.ms };
        if (tlsFacts) {
          record.tls = { version: tlsFacts.version, cipher: tlsFacts.cipher, verified: tlsFacts.authorized };
          if (tlsFacts.certificate) record.tls.certificateDaysLeft = tlsFacts.certificate.daysLeft;
          if (tlsFacts.chainVerdict) record.tls.chainComplete = tlsFacts.chainVerdict.complete;
          if (tlsFacts.ocsp) record.tls.ocsp = tlsFacts.ocsp.status;
        }
        this.write(record);
        this.current = undefined;
        return;
      }
      default:
        return;
    }
  }

  private write(record: Record): void {
    this.options.write(`${JSON.stringify(record)}\n`);
  }

  finish(): void {}
}
