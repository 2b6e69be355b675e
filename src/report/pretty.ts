// The live transcript a person reads: each line is written as soon as it is known, and a
// failed step gets a block with what was expected, what came, a diff and a hint.
import { Chalk, type ChalkInstance } from "chalk";
import { diffLines } from "diff";
import type { CertificateSummary, ConnectionFailure, Failure, RunEvent, StepInfo, TlsFacts } from "../runtime/events.js";
import { ESCAPE_PATTERN, printable } from "../transcript/escape.js";
import { diagnosticLine } from "./diagnostic-line.js";
import { handshakeLines } from "./handshake-lines.js";
import { loadLines } from "./load-table.js";
import type { Reporter, ReporterOptions } from "./types.js";

/** Any text that reaches the terminal: no control byte left raw, whatever sent it. */
const p = (text: string | number) => printable(String(text));

export function describeCertificate(cert: CertificateSummary, facts: TlsFacts): string {
  const when = cert.daysLeft < 0 ? `expired ${cert.validTo.slice(0, 10)} (${-cert.daysLeft} days ago)` : `expires ${cert.validTo.slice(0, 10)} (in ${cert.daysLeft} days)`;
  const verdict = facts.authorized ? "verified" : `NOT verified: ${facts.authorizationError ?? "unknown"}${facts.verify ? "" : " (verify off)"}`;
  return printable(`${cert.subject}, issued by ${cert.issuer}, ${when}, ${verdict}`, false);
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? line : `${prefix}${line}`))
    .join("\n");
}

export class PrettyReporter implements Reporter {
  private readonly c: ChalkInstance;
  private readonly write: (text: string) => void;
  private readonly verbose: boolean;
  private runs = 0;
  private failed = 0;
  private stepsPassed = 0;
  private totalSteps = 0;
  private failedStep: { step: StepInfo; kind: "expectation" | "connection" } | undefined;
  /** Warning thresholds crossed in this run, and runs that ended with warnings. */
  private warnings = 0;
  private warnedRuns = 0;
  /** Handshakes of this run, for the table printed when a script probes several. */
  private handshakes: Array<{ offered: string; result: string }> = [];

  constructor(options: ReporterOptions) {
    this.c = new Chalk({ level: options.color ? 1 : 0 });
    this.write = options.write;
    this.verbose = Boolean(options.verbose);
  }

  private line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Wire text (already escaped by the runtime): escapes stand out in a style of their own,
   *  so `\x1b` sent by a server never reads as the four characters a server could type. */
  private wire(text: string, style: (s: string) => string = (s) => s): string {
    const safe = printable(text, false);
    let out = "";
    let last = 0;
    for (const match of safe.matchAll(ESCAPE_PATTERN)) {
      if (match.index! > last) out += style(safe.slice(last, match.index));
      out += this.c.inverse(match[0]);
      last = match.index! + match[0].length;
    }
    if (last < safe.length) out += style(safe.slice(last));
    return out;
  }

  private wireLines(text: string): string {
    return text
      .split("\n")
      .map((line) => this.wire(line))
      .join("\n");
  }

  event(e: RunEvent): void {
    const c = this.c;
    switch (e.type) {
      case "invalid":
        this.runs += 1;
        this.failed += 1;
        this.line(c.red(`✘ ${p(e.file)}: invalid script, nothing was sent`));
        for (const d of e.diagnostics) this.line(c.red(`  ${p(diagnosticLine(d))}`));
        return;
      case "run-start":
        this.stepsPassed = 0;
        this.totalSteps = e.steps;
        this.failedStep = undefined;
        this.warnings = 0;
        this.handshakes = [];
        if (this.runs > 0) this.line("");
        this.line(c.bold(`── ${p(e.file)}`));
        return;
      case "connect":
        this.line(c.magenta(`*: connect ${p(e.url)} (${e.protocol}${e.implicitTls ? ", implicit TLS" : ""})`));
        return;
      case "connected":
        this.line(c.gray(`*: connected to ${p(e.address)}${e.port ? `:${e.port}` : ""} in ${e.ms} ms`));
        return;
      case "tls":
        this.handshakes.push({ offered: p(e.facts.offered ?? "default versions"), result: p(`accepted: ${e.facts.version} ${e.facts.cipher}`) });
        this.line(c.magenta(`*: tls ${p(e.facts.version)} ${p(e.facts.cipher)}`));
        if (e.facts.certificate) this.line((e.facts.authorized ? c.magenta : c.yellow)(`*: cert ${describeCertificate(e.facts.certificate, e.facts)}`));
        for (const line of handshakeLines(e.facts)) this.line(c.gray(`*: ${p(line)}`));
        return;
      case "tls-refused":
        this.handshakes.push({ offered: p(e.offered), result: p(`refused: ${e.reason}`) });
        this.line(c.magenta(`*: tls refused: offered ${p(e.offered)}: ${p(e.reason)}`));
        return;
      case "client":
        this.line(`${c.cyan("C: ")}${this.wire(e.text, c.cyan)}`);
        return;
      case "server":
        for (const text of e.lines) this.line(`S: ${this.wire(text)}`);
        return;
      case "closed":
        this.line(c.gray(`*: closed by ${e.by}`));
        return;
      case "note":
        this.line(c.yellow(`*: note: ${p(e.message)}`));
        return;
      case "marker":
        this.line(c.magenta(`*: ${p(e.message)}`));
        return;
      case "step-start":
        return;
      case "step-end":
        if (e.status === "warning" && e.warning) {
          this.stepsPassed += 1;
          this.warnings += 1;
          this.warning(e.step, e.warning);
          return;
        }
        if (e.status === "pass") {
          this.stepsPassed += 1;
          if (this.verbose && e.step.kind === "expect") this.line(c.green(`✔ ${e.step.span.line}:${e.step.span.column} ${p(e.step.source)}`));
          return;
        }
        this.failedStep = { step: e.step, kind: e.status === "error" ? "connection" : "expectation" };
        if (e.failure) this.failure(e.step, e.failure);
        if (e.connectionFailure) this.connectionFailure(e.connectionFailure);
        return;
      case "run-end": {
        this.runs += 1;
        // The table compares versions offered: it says nothing when every handshake offered the defaults.
        if (this.handshakes.length > 1 && this.handshakes.some((h) => h.offered !== "default versions" || h.result.startsWith("refused"))) this.handshakeTable();
        const seconds = `${(e.ms / 1000).toFixed(1)} s`;
        if (e.status === "pass") {
          this.line(c.green(`✔ ${p(e.file)}: ${this.totalSteps} steps passed in ${seconds}`));
          return;
        }
        if (e.status === "warning") {
          this.warnedRuns += 1;
          this.line(c.yellow(`⚠ ${p(e.file)}: ${this.totalSteps} steps passed, ${this.warnings} warning${this.warnings === 1 ? "" : "s"}, in ${seconds}`));
          return;
        }
        this.failed += 1;
        const index = this.failedStep ? this.failedStep.step.index + 1 : this.stepsPassed + 1;
        const why = this.failedStep?.kind === "connection" ? "connection failed" : "expectation failed";
        this.line(c.red(`✘ ${p(e.file)}: ${index > this.totalSteps ? "the end of the script" : `step ${index} of ${this.totalSteps}`} failed (${why}) in ${seconds}`));
        return;
      }
      case "load": {
        const { totals, table, failures } = loadLines(e.summary);
        this.line("");
        this.line((e.summary.failed + e.summary.errored === 0 ? c.green : c.red)(`${e.summary.failed + e.summary.errored === 0 ? "✔" : "✘"} ${p(totals)}`));
        for (const row of table) this.line(p(row));
        if (failures.length > 0) {
          this.line(c.red("  failures by cause:"));
          for (const row of failures) this.line(c.red(p(row)));
        }
        return;
      }
      case "golden": {
        const mark = e.status === "match" || e.status === "written" ? c.green("✔") : c.red("✘");
        this.line(`${mark} golden: ${p(e.message)}`);
        if (e.diff) this.line(this.colorPatch(p(e.diff)));
        return;
      }
    }
  }

  private handshakeTable(): void {
    const width = Math.max(7, ...this.handshakes.map((h) => h.offered.length));
    this.line("");
    this.line(this.c.bold(`  ${"offered".padEnd(width)}  result`));
    for (const h of this.handshakes) this.line(`  ${h.offered.padEnd(width)}  ${h.result.startsWith("accepted") ? this.c.green(h.result) : this.c.yellow(h.result)}`);
    this.line("");
  }

  private failure(step: StepInfo, failure: Failure): void {
    const c = this.c;
    const at = failure.span ?? step.span;
    this.line("");
    this.line(c.red.bold(`✘ ${p(at.file)}:${at.line}:${at.column}  ${p(step.source)}`));
    this.line(c.red(`  ${p(failure.message)}`));
    this.line(`  expected: ${p(failure.expected)}`);
    if (failure.diff) {
      this.line("  diff (- expected, + actual):");
      this.line(this.diff(failure.diff.expected, failure.diff.actual));
      if (failure.actual && failure.actual !== failure.diff.actual) this.line(`  reply:    ${indent(this.wireLines(failure.actual), "            ")}`);
    } else {
      this.line(`  actual:   ${failure.actual ? indent(this.wireLines(failure.actual), "            ") : c.gray("(nothing)")}`);
    }
    if (failure.hint) this.line(c.yellow(`  hint: ${p(failure.hint)}`));
    this.line("");
  }

  /** A warning threshold crossed: shown where it happened, in the transcript's flow. */
  private warning(step: StepInfo, warning: Failure): void {
    const at = warning.span ?? step.span;
    this.line(this.c.yellow(`⚠ ${p(at.file)}:${at.line}:${at.column}  ${p(step.source)}`));
    this.line(this.c.yellow(`  ${p(warning.message)}`));
  }

  private connectionFailure(failure: ConnectionFailure): void {
    const c = this.c;
    this.line("");
    const what = failure.kind === "tls" || failure.kind === "certificate" ? "TLS failed" : "cannot connect";
    this.line(c.red.bold(`✘ ${what}: ${p(failure.message)}`));
    this.line(`  cause: ${p(failure.cause)}${failure.code ? ` (${p(failure.code)})` : ""}`);
    if (failure.hint) this.line(c.yellow(`  hint: ${p(failure.hint)}`));
    this.line("");
  }

  /** A line diff, readable without colour: the prefixes carry the meaning. */
  diff(expected: string, actual: string): string {
    const c = this.c;
    const out: string[] = [];
    for (const part of diffLines(`${expected}\n`, `${actual}\n`)) {
      const lines = part.value.replace(/\n$/, "").split("\n");
      for (const text of lines) {
        if (part.added) out.push(`${c.green("    + ")}${this.wire(text, c.green)}`);
        else if (part.removed) out.push(`${c.red("    - ")}${this.wire(text, c.red)}`);
        else out.push(`      ${this.wire(text)}`);
      }
    }
    return out.join("\n");
  }

  private colorPatch(patch: string): string {
    const c = this.c;
    return patch
      .replace(/\n$/, "")
      .split("\n")
      .map((line) => (line.startsWith("+") && !line.startsWith("+++") ? c.green(line) : line.startsWith("-") && !line.startsWith("---") ? c.red(line) : line.startsWith("@@") ? c.cyan(line) : line))
      .join("\n");
  }

  finish(): void {
    if (this.runs > 1) {
      const passed = this.runs - this.failed;
      const warned = this.warnedRuns > 0 ? `, ${this.warnedRuns} with warnings` : "";
      this.line(this.failed === 0 ? (this.warnedRuns > 0 ? this.c.yellow : this.c.green)(`✔ ${this.runs} scripts passed${warned}`) : this.c.red(`✘ ${this.failed} of ${this.runs} scripts failed, ${passed} passed`));
    }
  }
}
