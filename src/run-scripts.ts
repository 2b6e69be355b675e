// What `mailchat run` does, as a library call: compile every script (nothing is sent while
// any is invalid), start the sandbox when asked, run the scripts one after another, compare
// or record their golden transcripts, and emit every outcome — invalid scripts included — as
// events to one reporter. The CLI only parses options, calls this and returns the status.
import type { CompileOptions, CompileResult } from "./compile/compile.js";
import { compile } from "./compile/compile.js";
import type { CompiledScript } from "./compile/steps.js";
import type { Reporter } from "./report/types.js";
import { EXIT, type RunEvent, type RunStatus } from "./runtime/events.js";
import type { FaultProfile } from "./sandbox/profiles.js";
import type { Target } from "./fleet/targets.js";
import { InOrder, pool } from "./pool.js";
import { SecretBook } from "./secrets/book.js";
import type { DnsServer } from "./dns/client.js";

export interface ScriptInput {
  /** The path (for includes, golden files and reports), or a name such as "(stdin)". */
  file: string;
  /** The text, when it does not come from the file (standard input, the API). */
  source?: string;
}

export interface RunScriptsOptions {
  compile?: Omit<CompileOptions, "source">;
  /** Extra trust anchors (PEM), as --ca gives them. */
  ca?: string[];
  /** --resolver: the DNS server every name and DNS check goes to. */
  resolver?: DnsServer;
  /** MTA-STS policy hosts' HTTPS port when not 443 (MAILCHAT_MTA_STS_PORT, for tests). */
  policyPort?: number;
  showSecrets?: boolean;
  /** Run against the embedded sandbox, with a fault profile if given. */
  sandbox?: { profile?: FaultProfile };
  /** Compare each run with FILE.golden, or record it (`update`). */
  golden?: { update: boolean };
  /** The secrets of the invocation; one is made from the scripts' when absent. */
  secrets?: SecretBook;
  /** Called for each invalid script, with its diagnostics (the CLI prints them). */
  onInvalid?: (file: string, result: CompileResult) => void;
  /** Aborting stops the run at the next step boundary and stops the sandbox. */
  signal?: AbortSignal;
  /** Runs at once (--jobs): scripts, and scripts × targets. */
  jobs?: number;
  /** Each script runs once per target, with the target's variables (--targets FILE). */
  targets?: Target[];
  /** One script, `repeat` sessions, `concurrency` at a time (--repeat, --concurrency). */
  load?: { repeat: number; concurrency: number; onProgress?: (done: number, total: number) => void };
  /** --fail-on-warning: a run that crossed a warning threshold exits 1 instead of 0. */
  failOnWarning?: boolean;
}

export interface RunScriptsResult {
  exitCode: number;
  /** A run passed with a warning threshold crossed (status "warning"). */
  warned?: boolean;
  /** Why nothing ran, when a script or the set-up was refused before anything was sent. */
  refused?: string;
}

/** Compiles every script; the results of those that fail, by file. */
export function compileScripts(inputs: readonly ScriptInput[], options: Omit<CompileOptions, "source"> = {}): { scripts: CompiledScript[]; invalid: Array<{ file: string; result: CompileResult }> } {
  const scripts: CompiledScript[] = [];
  const invalid: Array<{ file: string; result: CompileResult }> = [];
  for (const input of inputs) {
    const result = compile(input.file, input.source === undefined ? options : { ...options, source: input.source });
    if (result.script) scripts.push(result.script);
    else invalid.push({ file: input.file, result });
  }
  return { scripts, invalid };
}

export async function runScripts(inputs: readonly ScriptInput[], reporter: Reporter, options: RunScriptsOptions = {}): Promise<RunScriptsResult> {
  const { scripts, invalid } = compileFleet(inputs, options);
  if (invalid.length > 0) {
    for (const { file, result } of invalid) {
      options.onInvalid?.(file, result);
      reporter.event({ type: "invalid", file, diagnostics: result.diagnostics });
    }
    reporter.finish();
    const total = scripts.length + invalid.length;
    return { exitCode: EXIT.invalid, refused: `${invalid.length} of ${total} script${total === 1 ? "" : "s"} invalid; nothing was sent` };
  }
  // One book for the whole invocation: whatever any script reveals is masked in every output.
  const secrets = options.secrets ?? new SecretBook(Boolean(options.showSecrets));
  for (const script of scripts) for (const value of script.secrets) secrets.add(value);

  const { run } = await import("./runtime/runner.js");
  let sandbox: Awaited<ReturnType<(typeof import("./sandbox/index.js"))["startSandbox"]>> | undefined;
  if (options.sandbox) {
    const { startSandbox } = await import("./sandbox/index.js");
    const hosts = [...new Set(scripts.flatMap((s) => s.steps.flatMap((step) => (step.kind === "connect" && step.host ? [step.host] : []))))];
    const profile = options.sandbox.profile;
    sandbox = await startSandbox(profile ? { hosts, profile } : { hosts });
    const missing = scripts.flatMap((s) => s.steps.flatMap((step) => (step.kind === "connect" && sandbox!.portFor(step.scheme) === undefined ? [`${s.file}:${step.span.line}: ${step.scheme}://`] : [])));
    if (missing.length > 0) {
      await sandbox.stop();
      return { exitCode: EXIT.invalid, refused: `the sandbox does not serve ${missing.join(", ")} (it serves ${sandbox.services.map((s) => `${s.scheme}://`).join(", ")})` };
    }
    if (profile) reporter.event({ type: "note", message: `sandbox profile ${profile.name}: ${profile.description}` });
  }
  const stopSandbox = () => void sandbox?.stop();
  options.signal?.addEventListener("abort", stopSandbox, { once: true });
  if (options.compile?.insecure) reporter.event({ type: "note", message: "--insecure: certificates are not verified" });

  // One list for every run: the trust anchors are hashed once a list (runtime/chain.ts), and a
  // load run made a new list, and hashed it again, for each session.
  const trust = [...(options.ca ?? []), ...(sandbox?.caPem ? [sandbox.caPem] : [])];
  /** One run of a script; its events go to `emit`. */
  const runOnce = (script: CompiledScript, emit: (event: RunEvent) => void) => {
    const runOptions: Parameters<typeof run>[1] = { emit, showSecrets: Boolean(options.showSecrets), secrets };
    if (trust.length > 0) runOptions.ca = trust;
    if (options.resolver) runOptions.resolver = options.resolver;
    if (options.policyPort) runOptions.policyPort = options.policyPort;
    if (sandbox) {
      const box = sandbox;
      runOptions.route = (step) => ({ address: "127.0.0.1", port: box.portFor(step.scheme)! });
    }
    return run(script, runOptions);
  };
  const aborted = () => Boolean(options.signal?.aborted);

  let exitCode: number = EXIT.ok;
  let warned = false;
  try {
    if (options.load) {
      exitCode = await loadRun(scripts[0]!, options.load, reporter, runOnce, aborted);
    } else {
      // In parallel (--jobs) each run's events are held and reported whole, in the order the
      // runs were given, so transcripts never interleave and read the same however the runs
      // raced; one at a time they stream as they happen.
      const parallel = (options.jobs ?? 1) > 1;
      const inOrder = new InOrder<RunEvent[]>((events) => {
        for (const event of events) reporter.event(event);
      });
      try {
        await pool(scripts, options.jobs ?? 1, async (script, index) => {
          const events: RunEvent[] = [];
          const result = await runOnce(script, (event) => {
            events.push(event);
            if (!parallel) reporter.event(event);
          });
          // Across several scripts the most severe outcome wins: connection (3) over expectation (1).
          exitCode = Math.max(exitCode, result.exitCode);
          if (result.status === "warning") {
            warned = true;
            // --fail-on-warning: a warning counts as a failed expectation.
            if (options.failOnWarning) exitCode = Math.max(exitCode, EXIT.expectationFailed);
          }
          const held = parallel ? [...events] : [];
          if (options.golden) {
            const golden = await goldenStep(script, events, result.status, options.golden.update, Boolean(options.showSecrets), (text) => secrets.redact(text));
            if (parallel) held.push(golden);
            else reporter.event(golden);
            if (golden.status !== "match" && golden.status !== "written") exitCode = Math.max(exitCode, EXIT.expectationFailed);
          }
          if (parallel) inOrder.done(index, held);
        }, aborted);
      } finally {
        inOrder.flush();
      }
    }
  } finally {
    // A report that cannot be written still leaves no sandbox running behind it.
    try {
      reporter.finish();
    } finally {
      options.signal?.removeEventListener("abort", stopSandbox);
      await sandbox?.stop();
    }
  }
  return warned ? { exitCode, warned } : { exitCode };
}

/** Every script, once per target when a targets file is given (named `FILE @ TARGET`). */
function compileFleet(inputs: readonly ScriptInput[], options: RunScriptsOptions): ReturnType<typeof compileScripts> {
  if (!options.targets) return compileScripts(inputs, options.compile);
  const scripts: CompiledScript[] = [];
  const invalid: Array<{ file: string; result: CompileResult }> = [];
  for (const target of options.targets) {
    const compiled = compileScripts(inputs, { ...options.compile, vars: { ...options.compile?.vars, ...target.vars } });
    for (const script of compiled.scripts) scripts.push({ ...script, file: `${script.file} @ ${target.label}`, target: target.label });
    for (const entry of compiled.invalid) invalid.push({ file: `${entry.file} @ ${target.label}`, result: entry.result });
  }
  return { scripts, invalid };
}

/** `--repeat N --concurrency C`: N sessions of one script, C at a time, and their figures.
 *  The first failed session is reported whole, so its cause can be read. */
async function loadRun(script: CompiledScript, load: NonNullable<RunScriptsOptions["load"]>, reporter: Reporter, runOnce: (script: CompiledScript, emit: (event: RunEvent) => void) => Promise<{ exitCode: number }>, aborted: () => boolean): Promise<number> {
  const { LoadRecorder } = await import("./load/summary.js");
  const recorder = new LoadRecorder(script.file, load.concurrency);
  let exitCode: number = EXIT.ok;
  let shownFailure = false;
  let done = 0;
  const started = Date.now();
  await pool<number>(load.repeat, load.concurrency, async (index) => {
    const events: RunEvent[] = [];
    const result = await runOnce(script, (event) => void events.push(event));
    recorder.session(index, events);
    exitCode = Math.max(exitCode, result.exitCode);
    if (result.exitCode !== EXIT.ok && !shownFailure) {
      shownFailure = true;
      reporter.event({ type: "note", message: `session ${index + 1} failed; its transcript follows (the summary groups every failure by cause)` });
      for (const event of events) reporter.event(event);
    }
    done += 1;
    load.onProgress?.(done, load.repeat);
  }, aborted);
  reporter.event({ type: "load", summary: recorder.summary(Date.now() - started) });
  return exitCode;
}

/** Compares a finished run with its golden transcript, or records it (`update`). */
async function goldenStep(script: CompiledScript, events: RunEvent[], status: RunStatus, update: boolean, showSecrets: boolean, redact: (text: string) => string): Promise<Extract<RunEvent, { type: "golden" }>> {
  const { compareGolden, goldenPath, writeGolden } = await import("./golden/golden.js");
  const { transcriptOf } = await import("./golden/transcript.js");
  const path = goldenPath(script.file);
  const event = (status: Extract<RunEvent, { type: "golden" }>["status"], message: string, diff?: string): Extract<RunEvent, { type: "golden" }> => ({ type: "golden", file: script.file, path, status, message, ...(diff ? { diff } : {}) });
  // A golden file is committed: every line passes the secret book once more.
  const lines = transcriptOf(events).map(redact);
  if (update) {
    if (status !== "pass" && status !== "warning") return event("not-written", `${path} not written: the run did not pass, and a golden transcript records a good session`);
    if (showSecrets) return event("not-written", `${path} not written: --show-secrets would put credentials into a file meant to be committed`);
    const outcome = writeGolden(path, lines, script.masks);
    return event("written", `${outcome.status === "written" && outcome.created ? "recorded" : "updated"} ${path}`);
  }
  const outcome = compareGolden(path, lines, script.masks);
  switch (outcome.status) {
    case "match":
      return event("match", `transcript matches ${path}`);
    case "missing":
      return event("missing", `no golden transcript ${path}: record one with --golden --update`);
    case "mismatch":
      return event("mismatch", `transcript differs from ${path} (if the change is intended, run again with --golden --update)`, outcome.diff);
    default:
      return event("written", `wrote ${path}`);
  }
}
