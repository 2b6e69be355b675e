// TAP 13: one test point per step, streamed as it ends; a failure carries a YAML block.
import type { RunEvent } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";
import { diagnosticLine } from "./diagnostic-line.js";
import type { Reporter, ReporterOptions } from "./types.js";

const yamlString = (text: string) => JSON.stringify(printable(text));

export class TapReporter implements Reporter {
  private count = 0;

  constructor(private readonly options: ReporterOptions) {
    options.write("TAP version 13\n");
  }

  event(e: RunEvent): void {
    if (e.type === "run-start") this.options.write(`# ${printable(e.file, false)}\n`);
    if (e.type === "invalid") {
      this.options.write(`# ${printable(e.file, false)}: invalid script, nothing was sent\n`);
      for (const d of e.diagnostics) {
        this.count += 1;
        this.options.write(`not ok ${this.count} - ${printable(diagnosticLine(d), false).replace(/#/g, "\\#")}\n  ---\n  code: ${yamlString(d.code)}\n  message: ${yamlString(d.message)}\n${d.help ? `  help: ${yamlString(d.help)}\n` : ""}  ...\n`);
      }
    }
    if (e.type === "golden") {
      this.count += 1;
      const ok = e.status === "match" || e.status === "written";
      this.options.write(`${ok ? "ok" : "not ok"} ${this.count} - golden transcript ${printable(e.path, false)}\n`);
      if (!ok) this.options.write(`  ---\n  message: ${yamlString(e.message)}\n${e.diff ? `  diff: ${yamlString(e.diff)}\n` : ""}  ...\n`);
    }
    if (e.type !== "step-end") return;
    this.count += 1;
    const name = printable(`${e.step.span.file}:${e.step.span.line} ${e.step.source.replace(/#/g, "\\#")}`, false);
    this.options.write(`${e.status === "pass" || e.status === "warning" ? "ok" : "not ok"} ${this.count} - ${name}\n`);
    // TAP has no warning directive: the point passes, and its YAML block says `severity: warning`.
    if (e.warning) {
      const w = e.warning;
      this.options.write(`  ---\n  severity: warning\n  message: ${yamlString(w.message)}\n  expected: ${yamlString(w.expected)}\n  actual: ${yamlString(w.actual)}\n  ...\n`);
    }
    if (e.failure) {
      const f = e.failure;
      this.options.write(`  ---\n  message: ${yamlString(f.message)}\n  expected: ${yamlString(f.expected)}\n  actual: ${yamlString(f.actual)}\n${f.hint ? `  hint: ${yamlString(f.hint)}\n` : ""}  ...\n`);
    }
    if (e.connectionFailure) {
      const f = e.connectionFailure;
      this.options.write(`  ---\n  message: ${yamlString(f.message)}\n  cause: ${yamlString(f.cause)}\n${f.hint ? `  hint: ${yamlString(f.hint)}\n` : ""}  ...\n`);
    }
  }

  finish(): void {
    this.options.write(`1..${this.count}\n`);
  }
}
