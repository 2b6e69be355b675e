// One self-contained HTML page per invocation, for CI artifacts people open in a browser:
// each script's verdict, its transcript (client, server and events told apart) and every
// failure with its diff and hint. No scripts, no external resources.
import { diffLines } from "diff";
import { handshakeLines } from "./handshake-lines.js";
import type { ConnectionFailure, Failure, RunEvent } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";
import { diagnosticLine } from "./diagnostic-line.js";
import type { Reporter, ReporterOptions } from "./types.js";

interface Run {
  file: string;
  status: string;
  ms: number;
  lines: Array<{ kind: "C" | "S" | "*" | "fail" | "warn"; html: string }>;
}

// Control bytes are shown escaped (`\x1b`) before HTML escaping: a browser would drop or
// mangle them, and the page must show what the server really sent.
const escape = (text: string) => printable(text).replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.3em}
section{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.5em 1em}
h2{font-size:1.05em;margin:.3em 0}.pass{color:#1a7f37}.warning{color:#9a6700}.warn{background:#fff8c5;border-left:3px solid #9a6700;padding:.4em .8em;margin:.4em 0}.fail,.error{color:#cf222e}
pre{margin:0;white-space:pre-wrap;font:12.5px/1.45 ui-monospace,monospace}
.C{color:#0550ae}.S{color:#24292f}.e{color:#8250df}.failure{background:#fff1f0;border-left:3px solid #cf222e;padding:.4em .8em;margin:.4em 0}
.add{color:#1a7f37}.del{color:#cf222e}.hint{color:#9a6700}`;

export class HtmlReporter implements Reporter {
  private readonly runs: Run[] = [];
  private current: Run | undefined;

  constructor(private readonly options: ReporterOptions) {}

  private push(kind: Run["lines"][number]["kind"], html: string): void {
    this.current?.lines.push({ kind, html });
  }

  event(e: RunEvent): void {
    switch (e.type) {
      case "invalid":
        this.runs.push({ file: e.file, status: "invalid", ms: 0, lines: e.diagnostics.map((d) => ({ kind: "fail", html: `<strong>✘ ${escape(diagnosticLine(d))}</strong>` })) });
        return;
      case "run-start":
        this.current = { file: e.file, status: "running", ms: 0, lines: [] };
        this.runs.push(this.current);
        return;
      case "connect":
        return this.push("*", escape(`*: connect ${e.url}`));
      case "tls":
        this.push("*", escape(`*: tls ${e.facts.version} ${e.facts.cipher}${e.facts.certificate ? ` — ${e.facts.certificate.subject}, expires ${e.facts.certificate.validTo.slice(0, 10)}, ${e.facts.authorized ? "verified" : `NOT verified (${e.facts.authorizationError ?? "?"})`}` : ""}`));
        for (const line of handshakeLines(e.facts)) this.push("*", escape(`*: ${line}`));
        return;
      case "tls-refused":
        return this.push("*", escape(`*: tls refused (offered ${e.offered}): ${e.reason}`));
      case "client":
        return this.push("C", escape(`C: ${e.text}`));
      case "server":
        for (const line of e.lines) this.push("S", escape(`S: ${line}`));
        return;
      case "closed":
        return this.push("*", escape(`*: closed by ${e.by}`));
      case "note":
        return this.push("*", escape(`*: note: ${e.message}`));
      case "marker":
        return this.push("*", escape(`*: ${e.message}`));
      case "step-end":
        if (e.failure) this.push("fail", this.failure(e.step.source, e.failure));
        if (e.warning) this.push("warn", `<strong>⚠ ${escape(`${e.warning.span ? `${e.warning.span.file}:${e.warning.span.line}:${e.warning.span.column}  ` : ""}${e.step.source}`)}</strong>\n${escape(e.warning.message)}`);
        if (e.connectionFailure) this.push("fail", this.connectionFailure(e.connectionFailure));
        return;
      case "run-end":
        if (this.current) Object.assign(this.current, { status: e.status, ms: e.ms });
        return;
      case "golden": {
        const run = this.runs.find((r) => r.file === e.file);
        const diff = e.diff ? `<pre>${escape(e.diff)}</pre>` : "";
        run?.lines.push({ kind: e.status === "match" || e.status === "written" ? "*" : "fail", html: `golden: ${escape(e.message)}${diff}` });
        return;
      }
      default:
        return;
    }
  }

  private failure(source: string, f: Failure): string {
    const where = f.span ? `${f.span.file}:${f.span.line}:${f.span.column}  ` : "";
    const diff = f.diff
      ? diffLines(`${f.diff.expected}\n`, `${f.diff.actual}\n`)
          .flatMap((part) => part.value.replace(/\n$/, "").split("\n").map((line) => (part.added ? `<span class="add">+ ${escape(line)}</span>` : part.removed ? `<span class="del">- ${escape(line)}</span>` : `  ${escape(line)}`)))
          .join("\n")
      : `actual: ${escape(f.actual || "(nothing)")}`;
    return `<strong>✘ ${escape(where + source)}</strong>\n${escape(f.message)}\nexpected: ${escape(f.expected)}\n${diff}${f.hint ? `\n<span class="hint">hint: ${escape(f.hint)}</span>` : ""}`;
  }

  private connectionFailure(f: ConnectionFailure): string {
    return `<strong>✘ ${escape(f.message)}</strong>\ncause: ${escape(f.cause)}${f.code ? ` (${escape(f.code)})` : ""}${f.hint ? `\n<span class="hint">hint: ${escape(f.hint)}</span>` : ""}`;
  }

  finish(): void {
    const passed = this.runs.filter((r) => r.status === "pass" || r.status === "warning").length;
    const warned = this.runs.filter((r) => r.status === "warning").length;
    const sections = this.runs.map((run) => {
      const body = run.lines
        .map((line) => (line.kind === "fail" ? `<div class="failure"><pre>${line.html}</pre></div>` : line.kind === "warn" ? `<div class="warn"><pre>${line.html}</pre></div>` : `<pre class="${line.kind === "*" ? "e" : line.kind}">${line.html}</pre>`))
        .join("\n");
      return `<section><h2 class="${escape(run.status)}">${run.status === "pass" ? "✔" : run.status === "warning" ? "⚠" : "✘"} ${escape(run.file)} — ${escape(run.status)} in ${(run.ms / 1000).toFixed(1)} s</h2>\n${body}\n</section>`;
    });
    this.options.write(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mailchat report</title><style>${STYLE}</style></head>
<body><h1>mailchat: ${passed} of ${this.runs.length} script${this.runs.length === 1 ? "" : "s"} passed${warned > 0 ? `, ${warned} with warnings` : ""}</h1>
${sections.join("\n")}
</body></html>
`);
  }
}
