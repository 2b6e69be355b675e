// `mailchat run` and `mailchat check`: compile every script first (nothing is sent while any
// is invalid), then run them one after another through the chosen reporter.
import { readFileSync } from "node:fs";
import writeFileAtomic from "write-file-atomic";
import type { Reporter, ReporterName } from "../report/reporter.js";
import { parseDuration } from "../../grammar/visitor.js";
import { compile, describeFsError, type CompileResult } from "../compile/compile.js";
import type { CompiledScript } from "../compile/steps.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { SecretBook } from "../secrets/book.js";
import { EXIT, type RunEvent, type RunStatus } from "../runtime/events.js";
import { colorEnabled } from "./color.js";
import { resolveScriptArgument } from "./recipes.js";

interface CommonOptions {
  var?: Record<string, string>;
  secret?: Record<string, string>;
  allowPlaintextAuth?: boolean;
  color?: boolean;
}

interface RunOptions extends CommonOptions {
  /** Extra report files by format: --report-junit FILE, … */
  reportFiles?: Partial<Record<ReporterName, string>>;
  ca?: string[];
  insecure?: boolean;
  reporter?: "pretty" | "json" | "junit" | "tap" | "html";
  timeout?: string;
  showSecrets?: boolean;
  sandbox?: boolean;
  sandboxProfile?: string;
  verbose?: boolean;
  golden?: boolean;
  update?: boolean;
}

function usage(message: string): number {
  process.stderr.write(`mailchat: ${message}\n`);
  return EXIT.invalid;
}

/** Compiles every file; prints the diagnostics of those that fail. */
/** Standard input, read whole, when a script argument is `-`. */
async function readStdin(files: string[]): Promise<string | undefined> {
  if (!files.includes("-")) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function compileAll(arguments_: string[], options: CommonOptions & { insecure?: boolean; defaultTimeoutMs?: number; stdin?: string }, color: boolean): { scripts: CompiledScript[]; ok: boolean; results: CompileResult[] } {
  const scripts: CompiledScript[] = [];
  const results: CompileResult[] = [];
  let ok = true;
  const files: string[] = [];
  if (arguments_.filter((a) => a === "-").length > 1) {
    process.stderr.write("mailchat: standard input (-) can hold only one script\n");
    return { scripts, ok: false, results: [{ diagnostics: [{ code: "stdin-twice", message: "standard input (-) can hold only one script" }], sources: new Map() }] };
  }
  for (const argument of arguments_) {
    const resolved = resolveScriptArgument(argument);
    if ("error" in resolved) {
      process.stderr.write(`mailchat: ${resolved.error}\n`);
      results.push({ diagnostics: [{ code: "unknown-recipe", message: resolved.error }], sources: new Map() });
      ok = false;
      continue;
    }
    files.push(resolved.path);
  }
  for (const file of files) {
    const compileOptions: Parameters<typeof compile>[1] = { vars: options.var ?? {}, secrets: options.secret ?? {}, allowPlaintextAuth: Boolean(options.allowPlaintextAuth), insecure: Boolean(options.insecure) };
    if (options.defaultTimeoutMs !== undefined) compileOptions.defaultTimeoutMs = options.defaultTimeoutMs;
    // `-` reads the script from standard input: `mailchat import paste.txt | mailchat run -`.
    if (file === "-") compileOptions.source = options.stdin ?? "";
    const result = compile(file === "-" ? "(stdin)" : file, compileOptions);
    results.push(result);
    if (result.script) {
      scripts.push(result.script);
      continue;
    }
    ok = false;
    // A diagnostic quotes the script's line: values given with --secret are masked there too.
    const secrets = new SecretBook();
    for (const value of Object.values(options.secret ?? {})) secrets.add(value);
    process.stderr.write(secrets.redact(`${renderDiagnostics(result.diagnostics, (f) => result.sources.get(f), { color })}\n`));
  }
  if (!ok) {
    const failed = results.filter((r) => !r.script).length;
    process.stderr.write(`mailchat: ${failed} of ${arguments_.length} script${arguments_.length === 1 ? "" : "s"} invalid; nothing was sent\n`);
  }
  return { scripts, ok, results };
}

export async function checkCommand(files: string[], options: CommonOptions): Promise<number> {
  const color = colorEnabled(process.stderr, options.color);
  const stdin = await readStdin(files);
  const { ok, scripts } = compileAll(files, stdin === undefined ? options : { ...options, stdin }, color);
  if (!ok) return EXIT.invalid;
  for (const script of scripts) process.stdout.write(`✔ ${script.file}: ${script.steps.length} steps, valid\n`);
  return EXIT.ok;
}

function readCas(files: string[]): string[] | string {
  const pems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      return `--ca ${file}: ${describeFsError(error)}`;
    }
    if (!text.includes("-----BEGIN CERTIFICATE-----")) return `--ca ${file}: not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")`;
    pems.push(text);
  }
  return pems;
}

export async function runCommand(files: string[], options: RunOptions): Promise<number> {
  const color = colorEnabled(process.stdout, options.color);
  let defaultTimeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    if (!/^\d+(ms|s|m|h)$/.test(options.timeout) || parseDuration(options.timeout) === 0) return usage(`--timeout takes a duration such as 500ms, 10s or 2m, got \`${options.timeout}\``);
    defaultTimeoutMs = parseDuration(options.timeout);
  }
  const ca = readCas(options.ca ?? []);
  if (typeof ca === "string") return usage(ca);
  if (options.update && !options.golden) return usage("--update rewrites golden transcripts: use it with --golden");
  if (options.sandboxProfile && !options.sandbox) return usage("--sandbox-profile chooses a fault profile of the sandbox: use it with --sandbox");
  let profile: import("../sandbox/profiles.js").FaultProfile | undefined;
  if (options.sandboxProfile) {
    const { findProfile, PROFILES } = await import("../sandbox/profiles.js");
    profile = findProfile(options.sandboxProfile);
    if (!profile) return usage(`unknown sandbox profile \`${options.sandboxProfile}\` (profiles: ${PROFILES.map((p) => p.name).join(", ")})`);
  }

  const compileOptions: Parameters<typeof compileAll>[1] = { ...options, insecure: Boolean(options.insecure) };
  const stdin = await readStdin(files);
  if (stdin !== undefined) compileOptions.stdin = stdin;
  if (defaultTimeoutMs !== undefined) compileOptions.defaultTimeoutMs = defaultTimeoutMs;
  const { scripts, ok, results } = compileAll(files, compileOptions, colorEnabled(process.stderr, options.color));
  if (ok && options.golden && files.includes("-")) return usage("--golden keeps FILE.golden beside the script: a script from standard input has no place for it");
  if (ok && options.golden && !options.update) {
    const { existsSync } = await import("node:fs");
    const { goldenPath } = await import("../golden/golden.js");
    const missing = scripts.map((s) => goldenPath(s.file)).filter((path) => !existsSync(path));
    if (missing.length > 0) return usage(`no golden transcript ${missing.join(", ")}: record one first with --golden --update`);
  }
  if (!ok) {
    if (options.reporter === "json") {
      const errors = results.flatMap((r) => r.diagnostics);
      process.stdout.write(`${JSON.stringify({ version: 1, status: "invalid", exitCode: EXIT.invalid, errors }, null, 2)}\n`);
    }
    return EXIT.invalid;
  }

  const [{ run }, { createReporter }] = await Promise.all([import("../runtime/runner.js"), import("../report/reporter.js")]);
  // One book for the whole invocation: whatever any script reveals is masked in every output.
  const secrets = new SecretBook(Boolean(options.showSecrets));
  for (const script of scripts) for (const value of script.secrets) secrets.add(value);
  const main = await createReporter(options.reporter ?? "pretty", { write: (text) => process.stdout.write(secrets.redact(text)), color, verbose: Boolean(options.verbose) });
  // --report-junit FILE and the like: more reports of the same run, each written whole at the end.
  const reportFiles: Array<{ path: string; chunks: string[]; reporter: Reporter }> = [];
  for (const [format, path] of Object.entries(options.reportFiles ?? {})) {
    const chunks: string[] = [];
    reportFiles.push({ path, chunks, reporter: await createReporter(format as ReporterName, { write: (text) => void chunks.push(text), color: false }) });
  }
  const reporter: Reporter = {
    event: (event) => {
      main.event(event);
      for (const file of reportFiles) file.reporter.event(event);
    },
    finish: () => {
      main.finish();
      for (const file of reportFiles) {
        file.reporter.finish();
        writeFileAtomic.sync(file.path, secrets.redact(file.chunks.join("")));
      }
    },
  };

  let sandbox: Awaited<ReturnType<typeof import("../sandbox/index.js")["startSandbox"]>> | undefined;
  if (options.sandbox) {
    const { startSandbox } = await import("../sandbox/index.js");
    const hosts = [...new Set(scripts.flatMap((s) => s.steps.flatMap((step) => (step.kind === "connect" ? [step.host] : []))))];
    sandbox = await startSandbox(profile ? { hosts, profile } : { hosts });
    if (profile) reporter.event({ type: "note", message: `sandbox profile ${profile.name}: ${profile.description}` });
    const missing = scripts.flatMap((s) => s.steps.flatMap((step) => (step.kind === "connect" && sandbox!.portFor(step.scheme) === undefined ? [`${s.file}:${step.span.line}: ${step.scheme}://`] : [])));
    if (missing.length > 0) {
      await sandbox.stop();
      return usage(`the sandbox does not serve ${missing.join(", ")} (it serves ${sandbox.services.map((s) => `${s.scheme}://`).join(", ")})`);
    }
  }

  // Ctrl-C during a run: stop the sandbox and leave with the conventional status.
  const interrupt = () => {
    void sandbox?.stop().finally(() => process.exit(130));
    if (!sandbox) process.exit(130);
  };
  process.once("SIGINT", interrupt);

  let exitCode: number = EXIT.ok;
  try {
    for (const script of scripts) {
      const events: RunEvent[] = [];
      const runOptions: Parameters<typeof run>[1] = {
        emit: (event) => {
          events.push(event);
          reporter.event(event);
        },
        showSecrets: Boolean(options.showSecrets),
        secrets,
      };
      const trust = [...ca, ...(sandbox?.caPem ? [sandbox.caPem] : [])];
      if (trust.length > 0) runOptions.ca = trust;
      if (sandbox) {
        const box = sandbox;
        runOptions.route = (step) => ({ address: "127.0.0.1", port: box.portFor(step.scheme)! });
      }
      if (options.insecure) reporter.event({ type: "note", message: "--insecure: certificates are not verified" });
      const result = await run(script, runOptions);
      // Across several scripts the most severe outcome wins: connection (3) over expectation (1).
      exitCode = Math.max(exitCode, result.exitCode);
      if (options.golden) {
        const golden = await goldenStep(script, events, result.status, Boolean(options.update), Boolean(options.showSecrets), (text) => secrets.redact(text));
        reporter.event(golden);
        if (golden.status === "mismatch" || golden.status === "not-written") exitCode = Math.max(exitCode, EXIT.expectationFailed);
      }
    }
  } finally {
    reporter.finish();
    process.removeListener("SIGINT", interrupt);
    await sandbox?.stop();
  }
  return exitCode;
}

/** Compares a finished run with its golden transcript, or records it (--update). */
async function goldenStep(script: CompiledScript, events: RunEvent[], status: RunStatus, update: boolean, showSecrets: boolean, redact: (text: string) => string): Promise<Extract<RunEvent, { type: "golden" }>> {
  const { compareGolden, goldenPath, writeGolden } = await import("../golden/golden.js");
  const { transcriptOf } = await import("../golden/transcript.js");
  const path = goldenPath(script.file);
  // A golden file is committed: every line passes the secret book once more.
  const lines = transcriptOf(events).map(redact);
  if (update) {
    if (status !== "pass") return { type: "golden", file: script.file, path, status: "not-written", message: `${path} not written: the run did not pass, and a golden transcript records a good session` };
    if (showSecrets) return { type: "golden", file: script.file, path, status: "not-written", message: `${path} not written: --show-secrets would put credentials into a file meant to be committed` };
    const outcome = writeGolden(path, lines, script.masks);
    return { type: "golden", file: script.file, path, status: "written", message: `${outcome.status === "written" && outcome.created ? "recorded" : "updated"} ${path}` };
  }
  const outcome = compareGolden(path, lines, script.masks);
  switch (outcome.status) {
    case "match":
      return { type: "golden", file: script.file, path, status: "match", message: `transcript matches ${path}` };
    case "missing":
      return { type: "golden", file: script.file, path, status: "missing", message: `no golden transcript ${path}: record one with --golden --update` };
    case "mismatch":
      return { type: "golden", file: script.file, path, status: "mismatch", diff: outcome.diff, message: `transcript differs from ${path} (if the change is intended, run again with --golden --update)` };
    default:
      return { type: "golden", file: script.file, path, status: "written", message: `wrote ${path}` };
  }
}
