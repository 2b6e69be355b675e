// The same run as data, for CI systems and dashboards: one JSON document at the end.
import type { Diagnostic } from "../../grammar/diagnostic.js";
import { EXIT, type ConnectionFailure, type Failure, type Measurement, type RunEvent, type TlsFacts } from "../runtime/events.js";
import type { LoadSummary } from "../runtime/events.js";
import type { Reporter, ReporterOptions } from "./types.js";

interface StepRecord {
  index: number;
  kind: string;
  source: string;
  file: string;
  line: number;
  column: number;
  status: "pass" | "warning" | "fail" | "error";
  ms: number;
  failure?: Failure;
  warning?: Failure;
  connectionFailure?: ConnectionFailure;
}

interface RunRecord {
  file: string;
  status?: string;
  exitCode?: number;
  ms?: number;
  startedAt: string;
  steps: StepRecord[];
  transcript: Array<{ dir: "C" | "S" | "*"; text: string; t: number }>;
  tls: TlsFacts[];
  /** Times measured (ms) and certificate days left, with the thresholds a step held them to. */
  measures: Measurement[];
  notes: string[];
  golden?: { path: string; status: string; message: string; diff?: string };
}

export class JsonReporter implements Reporter {
  private readonly runs: RunRecord[] = [];
  private readonly invalid: Array<{ file: string; errors: Diagnostic[] }> = [];
  private current: RunRecord | undefined;
  private started = 0;
  private readonly pendingNotes: string[] = [];
  private load: LoadSummary | undefined;

  constructor(private readonly options: ReporterOptions) {}

  private push(dir: "C" | "S" | "*", text: string): void {
    this.current?.transcript.push({ dir, text, t: Date.now() - this.started });
  }

  event(e: RunEvent): void {
    switch (e.type) {
      case "invalid":
        this.invalid.push({ file: e.file, errors: e.diagnostics });
        return;
      case "run-start":
        this.started = Date.now();
        this.current = { file: e.file, startedAt: e.time, steps: [], transcript: [], tls: [], measures: [], notes: this.pendingNotes.splice(0) };
        this.runs.push(this.current);
        return;
      case "connect":
        this.push("*", `connect ${e.url}`);
        return;
      case "connected":
        this.push("*", `connected to ${e.address}${e.port ? `:${e.port}` : ""} in ${e.ms} ms`);
        return;
      case "tls":
        this.current?.tls.push(e.facts);
        this.push("*", `tls ${e.facts.version} ${e.facts.cipher}`);
        return;
      case "tls-refused":
        this.push("*", `tls refused: offered ${e.offered}: ${e.reason}`);
        return;
      case "client":
        this.push("C", e.text);
        return;
      case "server":
        for (const line of e.lines) this.push("S", line);
        return;
      case "closed":
        this.push("*", `closed by ${e.by}`);
        return;
      case "marker":
        this.push("*", e.message);
        return;
      case "note":
        if (this.current) this.current.notes.push(e.message);
        else this.pendingNotes.push(e.message);
        return;
      case "step-start":
        return;
      case "step-end": {
        const record: StepRecord = { index: e.step.index, kind: e.step.kind, source: e.step.source, file: e.step.span.file, line: e.step.span.line, column: e.step.span.column, status: e.status, ms: e.ms };
        if (e.failure) record.failure = e.failure;
        if (e.warning) record.warning = e.warning;
        if (e.connectionFailure) record.connectionFailure = e.connectionFailure;
        this.current?.steps.push(record);
        return;
      }
      case "run-end":
        if (this.current) Object.assign(this.current, { status: e.status, exitCode: e.exitCode, ms: e.ms });
        return;
      case "measure":
        this.current?.measures.push(e.measure);
        return;
      case "load":
        this.load = e.summary;
        return;
      case "golden": {
        const run = this.runs.find((r) => r.file === e.file);
        if (run) {
          run.golden = { path: e.path, status: e.status, message: e.message };
          if (e.diff) run.golden.diff = e.diff;
        }
        return;
      }
    }
  }

  finish(): void {
    if (this.invalid.length > 0) {
      // Nothing ran: the document says so, with every diagnostic and where it stands.
      const document = { version: 1, status: "invalid", exitCode: EXIT.invalid, errors: this.invalid.flatMap((i) => i.errors), invalid: this.invalid };
      this.options.write(`${JSON.stringify(document, null, 2)}\n`);
      return;
    }
    const summary = {
      files: this.runs.length,
      passed: this.runs.filter((r) => (r.status === "pass" || r.status === "warning") && (!r.golden || r.golden.status === "match" || r.golden.status === "written")).length,
      failed: this.runs.filter((r) => r.status === "fail" || r.golden?.status === "mismatch").length,
      errors: this.runs.filter((r) => r.status === "error").length,
      warnings: this.runs.filter((r) => r.status === "warning").length,
    };
    // A load run reports its figures; `runs` then holds the first failed session, if any.
    const document = this.load ? { version: 1, load: this.load, runs: this.runs, summary } : { version: 1, runs: this.runs, summary };
    this.options.write(`${JSON.stringify(document, null, 2)}\n`);
  }
}
