// `mailchat run` and `mailchat check`: options checked and turned into one call of the
// library (src/run-scripts.ts), a reporter, and an exit status.
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from "node:fs";
import { parseDuration } from "../../grammar/visitor.js";
import { describeFsError, type CompileOptions, type CompileResult } from "../compile/compile.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import type { ReporterName } from "../report/reporter.js";
import { compileScripts, runScripts, type RunScriptsOptions, type ScriptInput } from "../run-scripts.js";
import { EXIT } from "../runtime/events.js";
import { SecretBook } from "../secrets/book.js";
import { batchedOutput } from "./batched-output.js";
import { colorEnabled } from "./color.js";
import { outputFileProblem } from "./output-file.js";
import { parseTargets, type Target } from "../fleet/targets.js";
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
  saveCerts?: string;
  insecure?: boolean;
  resolver?: string;
  reporter?: ReporterName;
  timeout?: string;
  showSecrets?: boolean;
  sandbox?: boolean;
  sandboxProfile?: string;
  verbose?: boolean;
  golden?: boolean;
  update?: boolean;
  repeat?: string;
  concurrency?: string;
  jobs?: string;
  targets?: string;
  failOnWarning?: boolean;
}

/** A whole number from 1 to `max` given to a flag, or why not. */
function count(flag: string, value: string | undefined, max: number): number | string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) return `${flag} takes a whole number from 1 to ${max}, got \`${value}\``;
  return Number(value);
}

/** The last reason a command line was refused, for the plugin's status line. */
let lastRefusal: string | undefined;

function usage(message: string): number {
  lastRefusal = message;
  process.stderr.write(`mailchat: ${message}\n`);
  return EXIT.invalid;
}

/** The script arguments as inputs: recipes resolved, `-` read from standard input. */
async function inputsOf(files: string[]): Promise<ScriptInput[] | string> {
  if (files.filter((a) => a === "-").length > 1) return "standard input (-) can hold only one script";
  const inputs: ScriptInput[] = [];
  for (const argument of files) {
    if (argument === "-") {
      // `mailchat import paste.txt | mailchat run -`: includes are relative to the current directory.
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      inputs.push({ file: "(stdin)", source: Buffer.concat(chunks).toString("utf8") });
      continue;
    }
    const resolved = resolveScriptArgument(argument);
    if ("error" in resolved) return resolved.error;
    inputs.push({ file: resolved.path });
  }
  return inputs;
}

function compileOptions(options: CommonOptions & { insecure?: boolean }, defaultTimeoutMs?: number): Omit<CompileOptions, "source"> {
  const compile: Omit<CompileOptions, "source"> = { vars: options.var ?? {}, secrets: options.secret ?? {}, allowPlaintextAuth: Boolean(options.allowPlaintextAuth), insecure: Boolean(options.insecure) };
  if (defaultTimeoutMs !== undefined) compile.defaultTimeoutMs = defaultTimeoutMs;
  return compile;
}

/** Diagnostics on standard error; a script's line quoted there has its --secret values masked. */
function printDiagnostics(options: CommonOptions): (file: string, result: CompileResult) => void {
  const color = colorEnabled(process.stderr, options.color);
  const secrets = new SecretBook();
  for (const value of Object.values(options.secret ?? {})) secrets.add(value);
  return (_file, result) => process.stderr.write(secrets.redact(`${renderDiagnostics(result.diagnostics, (f) => result.sources.get(f), { color })}\n`));
}

export async function checkCommand(files: string[], options: CommonOptions): Promise<number> {
  const inputs = await inputsOf(files);
  if (typeof inputs === "string") return usage(inputs);
  const { scripts, invalid } = compileScripts(inputs, compileOptions(options));
  const print = printDiagnostics(options);
  for (const { file, result } of invalid) print(file, result);
  if (invalid.length > 0) return usage(`${invalid.length} of ${inputs.length} script${inputs.length === 1 ? "" : "s"} invalid; nothing was sent`);
  for (const script of scripts) process.stdout.write(`✔ ${script.file}: ${script.steps.length} steps, valid\n`);
  return EXIT.ok;
}

/** The --save-certs directory, made when missing; why it cannot be used, or undefined. */
function certificateDirectory(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return `--save-certs ${dir}: ${(error as NodeJS.ErrnoException).code === "EEXIST" || (error as NodeJS.ErrnoException).code === "ENOTDIR" ? "not a directory" : describeFsError(error)}`;
  }
}

export function readCas(files: string[]): string[] | string {
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

/**
 * `--reporter nagios` speaks the monitoring-plugin convention for everything: a command line
 * refused before any report began is an UNKNOWN (3) with its status line too.
 */
export async function runCommand(files: string[], options: RunOptions): Promise<number> {
  if (options.reporter !== "nagios") return runChecks(files, options);
  const code = await runChecks(files, options);
  if (code === EXIT.invalid && !reportStarted) process.stdout.write(`MAILCHAT UNKNOWN - ${(lastRefusal ?? "invalid command line").replace(/[|\n]+/g, " ")}\n`);
  return (await import("../report/nagios.js")).pluginExit(code, warned);
}

/** Whether a reporter was made (it then reports invalid scripts itself). */
let reportStarted = false;
/** Whether a run passed with a warning threshold crossed (nagios: WARNING). */
let warned = false;

async function runChecks(files: string[], options: RunOptions): Promise<number> {
  let defaultTimeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    if (!/^\d+(ms|s|m|h)$/.test(options.timeout) || parseDuration(options.timeout) === 0) return usage(`--timeout takes a duration such as 500ms, 10s or 2m, got \`${options.timeout}\``);
    defaultTimeoutMs = parseDuration(options.timeout);
  }
  const ca = readCas(options.ca ?? []);
  if (typeof ca === "string") return usage(ca);
  if (options.saveCerts !== undefined) {
    const problem = certificateDirectory(options.saveCerts);
    if (problem) return usage(problem);
  }
  for (const [format, file] of Object.entries(options.reportFiles ?? {})) {
    const problem = outputFileProblem(file);
    if (problem) return usage(`--report-${format} ${file}: ${problem}; nothing was sent`);
  }
  if (options.update && !options.golden) return usage("--update rewrites golden transcripts: use it with --golden");
  if (options.sandboxProfile && !options.sandbox) return usage("--sandbox-profile chooses a fault profile of the sandbox: use it with --sandbox");
  const library: RunScriptsOptions = { compile: compileOptions(options, defaultTimeoutMs), ca, showSecrets: Boolean(options.showSecrets), onInvalid: printDiagnostics(options) };
  if (options.resolver !== undefined) {
    const { parseResolver } = await import("../dns/client.js");
    const server = parseResolver(options.resolver);
    if ("error" in server) return usage(server.error);
    library.resolver = server;
  }
  const policyPort = process.env.MAILCHAT_MTA_STS_PORT;
  if (policyPort) {
    if (!/^\d+$/.test(policyPort) || Number(policyPort) < 1 || Number(policyPort) > 65535) return usage(`MAILCHAT_MTA_STS_PORT takes a port number, got \`${policyPort}\``);
    library.policyPort = Number(policyPort);
  }
  if (options.sandbox) {
    const { findProfile, PROFILES } = await import("../sandbox/profiles.js");
    const profile = options.sandboxProfile ? findProfile(options.sandboxProfile) : undefined;
    if (options.sandboxProfile && !profile) return usage(`unknown sandbox profile \`${options.sandboxProfile}\` (profiles: ${PROFILES.map((p) => p.name).join(", ")})`);
    library.sandbox = profile ? { profile } : {};
  }
  const inputs = await inputsOf(files);
  if (typeof inputs === "string") return usage(inputs);
  const repeat = count("--repeat", options.repeat, 1_000_000);
  const concurrency = count("--concurrency", options.concurrency, 10_000);
  const jobs = count("--jobs", options.jobs, 1_000);
  for (const value of [repeat, concurrency, jobs]) if (typeof value === "string") return usage(value);
  if (concurrency !== undefined && repeat === undefined) return usage("--concurrency sets how many sessions of a load run go at once: use it with --repeat");
  if (repeat !== undefined) {
    if (inputs.length !== 1) return usage(`--repeat loads one script at a time, got ${inputs.length}`);
    if (options.targets || options.golden || jobs !== undefined) return usage("--repeat runs one script against one server: it does not combine with --targets, --jobs or --golden");
    const reporter = options.reporter ?? "pretty";
    if (reporter !== "pretty" && reporter !== "json") return usage(`a load run reports as pretty or json, not ${reporter}`);
    library.load = { repeat: repeat as number, concurrency: (concurrency as number | undefined) ?? 1 };
    const progress = reporter === "pretty" && process.stderr.isTTY ? await progressBar(repeat as number) : undefined;
    if (progress) library.load.onProgress = progress;
  }
  if (jobs !== undefined) library.jobs = jobs as number;
  if (options.failOnWarning) library.failOnWarning = true;
  if (options.targets) {
    if (options.golden) return usage("--golden keeps one FILE.golden a script: it does not combine with --targets");
    const targets = readTargets(options.targets, options);
    if (typeof targets === "number") return targets;
    library.targets = targets;
  }
  if (options.golden) {
    if (inputs.some((input) => input.source !== undefined)) return usage("--golden keeps FILE.golden beside the script: a script from standard input has no place for it");
    const { goldenPath } = await import("../golden/golden.js");
    const missing = inputs.map((input) => goldenPath(input.file)).filter((path) => !existsSync(path));
    if (!options.update && missing.length > 0) return usage(`no golden transcript ${missing.join(", ")}: record one first with --golden --update`);
    library.golden = { update: Boolean(options.update) };
  }

  const secrets = new SecretBook(Boolean(options.showSecrets));
  library.secrets = secrets;
  const { fanOut, ReportFileError } = await import("../report/fan-out.js");
  reportStarted = true;
  const output = batchedOutput(process.stdout);
  const reports = await fanOut(
    { name: options.reporter ?? "pretty", options: { write: output.write, color: colorEnabled(process.stdout, options.color), verbose: Boolean(options.verbose) } },
    options.reportFiles ?? {},
    (text) => secrets.redact(text),
  );
  const reporter = options.saveCerts ? (await import("../report/certificate-files.js")).withCertificateFiles(reports, options.saveCerts, (message) => (output.flush(), process.stderr.write(`mailchat: ${message}\n`))) : reports;
  // Ctrl-C during a run: stop the sandbox and leave with the conventional status.
  const controller = new AbortController();
  library.signal = controller.signal;
  const interrupt = () => {
    controller.abort();
    setTimeout(() => process.exit(130), 200).unref();
  };
  process.once("SIGINT", interrupt);
  try {
    let result: Awaited<ReturnType<typeof runScripts>>;
    try {
      result = await runScripts(inputs, reporter, library);
    } catch (error) {
      if (!(error instanceof ReportFileError)) throw error;
      output.flush();
      process.stderr.write(`mailchat: ${error.message}\n`);
      return EXIT.outputFailed;
    }
    output.flush();
    if (result.refused) process.stderr.write(`mailchat: ${result.refused}\n`);
    warned = Boolean(result.warned);
    if (controller.signal.aborted) return 130;
    return result.exitCode;
  } finally {
    output.flush();
    process.removeListener("SIGINT", interrupt);
  }
}

/** The targets file, or the status after its errors were printed. */
function readTargets(file: string, options: CommonOptions): Target[] | number {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return usage(`--targets ${file}: ${describeFsError(error)}`);
  }
  const { targets, diagnostics } = parseTargets(text, file);
  if (diagnostics.length === 0) return targets;
  process.stderr.write(`${renderDiagnostics(diagnostics, () => text, { color: colorEnabled(process.stderr, options.color) })}\n`);
  return usage(`--targets ${file}: ${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"}; nothing was sent`);
}

/** A progress bar on standard error (a terminal only): sessions done of the total. */
async function progressBar(total: number): Promise<(done: number, total: number) => void> {
  const { default: progress } = await import("cli-progress");
  const bar = new progress.SingleBar({ format: "load [{bar}] {value}/{total} sessions, {eta}s left", stream: process.stderr, hideCursor: true, clearOnComplete: true }, progress.Presets.shades_classic);
  bar.start(total, 0);
  return (done) => {
    bar.update(done);
    if (done >= total) bar.stop();
  };
}
