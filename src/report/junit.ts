// JUnit XML, for CI systems that draw test reports: one testsuite per script, one testcase
// per step; a failed expectation is a <failure>, a connection failure an <error>.
import type { RunEvent } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";
import { diagnosticLine } from "./diagnostic-line.js";
import { transcriptLine } from "../golden/transcript.js";
import type { Reporter, ReporterOptions } from "./types.js";

interface Case {
  name: string;
  ms: number;
  /** JUnit has no warning: the case passes, and says so in its own <system-out>. */
  warning?: string;
  failure?: { message: string; body: string };
  error?: { message: string; body: string };
}

interface Suite {
  file: string;
  ms: number;
  cases: Case[];
  transcript: string[];
}

// Control bytes a server sent are shown escaped (`\x1b`), never dropped or passed raw: XML 1.0
// cannot hold most of them, and a CI page must not hide what the server did.
const escapeXml = (text: string) => printable(text).replace(/[<>&"']/g, (ch) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[ch]!);

export class JunitReporter implements Reporter {
  private readonly suites: Suite[] = [];
  private current: Suite | undefined;

  constructor(private readonly options: ReporterOptions) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case "invalid":
        // One error per diagnostic, so a CI page lists each problem of the script.
        this.suites.push({ file: e.file, ms: 0, transcript: [], cases: e.diagnostics.map((d) => ({ name: d.span ? `${d.span.line}:${d.span.column} ${d.code}` : d.code, ms: 0, error: { message: d.message, body: diagnosticLine(d) } })) });
        return;
      case "run-start":
        this.current = { file: e.file, ms: 0, cases: [], transcript: [] };
        this.suites.push(this.current);
        return;
      case "client":
      case "server":
      case "marker":
        this.current?.transcript.push(...transcriptLine(e));
        return;
      case "step-end": {
        const testCase: Case = { name: `${e.step.span.line}: ${e.step.source}`, ms: e.ms };
        if (e.failure) testCase.failure = { message: e.failure.message, body: [`expected: ${e.failure.expected}`, `actual: ${e.failure.actual}`, e.failure.hint ? `hint: ${e.failure.hint}` : ""].filter(Boolean).join("\n") };
        if (e.warning) testCase.warning = `WARNING: ${e.warning.message}\nwarning threshold: ${e.warning.expected}\nmeasured: ${e.warning.actual}`;
        if (e.connectionFailure) testCase.error = { message: e.connectionFailure.message, body: [e.connectionFailure.cause, e.connectionFailure.hint ?? ""].filter(Boolean).join("\n") };
        this.current?.cases.push(testCase);
        return;
      }
      case "run-end":
        if (this.current) this.current.ms = e.ms;
        return;
      case "golden": {
        const suite = this.suites.find((s) => s.file === e.file);
        const testCase: Case = { name: `golden transcript ${e.path}`, ms: 0 };
        if (e.status === "mismatch" || e.status === "not-written" || e.status === "missing") testCase.failure = { message: e.message, body: e.diff ?? "" };
        suite?.cases.push(testCase);
        return;
      }
      default:
        return;
    }
  }

  finish(): void {
    const out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"];
    for (const suite of this.suites) {
      const failures = suite.cases.filter((c) => c.failure).length;
      const errors = suite.cases.filter((c) => c.error).length;
      const warnings = suite.cases.filter((c) => c.warning).length;
      out.push(`  <testsuite name="${escapeXml(suite.file)}" tests="${suite.cases.length}" failures="${failures}" errors="${errors}" time="${(suite.ms / 1000).toFixed(3)}">`);
      if (warnings > 0) out.push(`    <properties><property name="mailchat.status" value="warning"/><property name="mailchat.warnings" value="${warnings}"/></properties>`);
      for (const c of suite.cases) {
        const open = `    <testcase classname="${escapeXml(suite.file)}" name="${escapeXml(c.name)}" time="${(c.ms / 1000).toFixed(3)}"`;
        if (!c.failure && !c.error && !c.warning) {
          out.push(`${open}/>`);
          continue;
        }
        out.push(`${open}>`);
        if (c.warning) out.push(`      <system-out>${escapeXml(c.warning)}</system-out>`);
        if (c.failure) out.push(`      <failure message="${escapeXml(c.failure.message)}">${escapeXml(c.failure.body)}</failure>`);
        if (c.error) out.push(`      <error message="${escapeXml(c.error.message)}">${escapeXml(c.error.body)}</error>`);
        out.push("    </testcase>");
      }
      out.push(`    <system-out>${escapeXml(suite.transcript.join("\n"))}</system-out>`);
      out.push("  </testsuite>");
    }
    out.push("</testsuites>");
    this.options.write(`${out.join("\n")}\n`);
  }
}
