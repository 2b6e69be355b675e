// `mailchat shell URL`: an interactive session (or one piped in) that is recorded as a
// script. The session itself is src/shell/session.ts; this file reads the options, starts
// the sandbox when asked, wires the terminal to the transcript and decides the exit status.
import { join } from "node:path";
import { cacheDir } from "../cache-dir.js";
import writeFileAtomic from "write-file-atomic";
import type { RunEvent } from "../runtime/events.js";
import { EXIT } from "../runtime/events.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { SecretBook } from "../secrets/book.js";
import { SHELL_COMMANDS, STATEMENT_KEYWORDS, asksForPassword, classify } from "../shell/classify.js";
import { ShellSession } from "../shell/session.js";
import { Terminal, holdsCredentials } from "../shell/terminal.js";
import { colorEnabled } from "./color.js";
import { outputFileProblem } from "./output-file.js";
import { describeFsError } from "../compile/compile.js";
import { parseDuration } from "../../grammar/visitor.js";
import { Chalk } from "chalk";
import { MAX_SCRIPT_BYTES } from "../limits.js";

export interface ShellOptions {
  save?: string;
  ca?: string[];
  insecure?: boolean;
  timeout?: string;
  sandbox?: boolean;
  allowPlaintextAuth?: boolean;
  history?: boolean;
  color?: boolean;
}

/** Exit status of a session interrupted by Ctrl-C (128 + SIGINT), as shells have it. */
const EXIT_INTERRUPTED = 130;

const HELP = `Lines typed are read by one rule:
  :WORD …          a command of the shell (below); nothing else starts with \`:\`
  # …              a comment, kept in the script
  a statement      a line whose first word is a statement keyword in lower case:
                   ${STATEMENT_KEYWORDS.join(", ")}
  anything else    a protocol line, sent as typed with CRLF (IMAP: tagged for you)
A protocol verb that is also a keyword is sent when typed in capitals (DATA, STARTTLS,
CLOSE, AUTH PLAIN …); \`send …\` sends any line as typed, one starting with \`:\` too.
  starttls         STARTTLS, the handshake, and the capabilities asked again
  auth MECH USER   the SASL exchange; the password is asked for (not echoed)
  data             the message typed next, up to a line holding a single \`.\`
  expect …         judges the reply shown last; recorded in place of the shell's own
Shell commands:
${SHELL_COMMANDS.map((c) => `  ${c.usage.padEnd(16)} ${c.what}`).join("\n")}
Ctrl-D (end of input) ends the session; Ctrl-C drops the connection (exit 130).`;

export async function shellCommand(url: string, options: ShellOptions): Promise<number> {
  let defaultTimeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    if (!/^\d+(ms|s|m|h)$/.test(options.timeout) || parseDuration(options.timeout) === 0) return usage(`--timeout takes a duration such as 500ms, 10s or 2m, got \`${options.timeout}\``);
    defaultTimeoutMs = parseDuration(options.timeout);
  }
  const { readCas } = await import("./run.js");
  const ca = readCas(options.ca ?? []);
  if (typeof ca === "string") return usage(ca);
  const unsavable = options.save === undefined ? undefined : outputFileProblem(options.save);
  if (unsavable) return usage(`--save ${options.save}: ${unsavable}; nothing was sent`);
  const color = colorEnabled(process.stdout, options.color);
  const c = new Chalk({ level: color ? 1 : 0 });
  const terminal = new Terminal({
    input: process.stdin,
    output: process.stdout,
    ...(options.history === false ? {} : { historyFile: join(cacheDir(), "shell-history") }),
    complete: (line) => complete(line),
    asksForSecret: asksForPassword,
  });
  const write = (text: string) => terminal.write(text);

  let sandbox: Awaited<ReturnType<(typeof import("../sandbox/index.js"))["startSandbox"]>> | undefined;
  const host = /^[a-z0-9+.-]+:\/\/\[?([^\]/:]+)/i.exec(url)?.[1];
  if (options.sandbox) {
    const { startSandbox } = await import("../sandbox/index.js");
    sandbox = await startSandbox({ hosts: host ? [host] : [] });
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
    if (!scheme || sandbox.portFor(scheme) === undefined) {
      await sandbox.stop();
      terminal.close();
      return usage(`the sandbox does not serve ${scheme ? `${scheme}://` : url} (it serves ${sandbox.services.map((s) => `${s.scheme}://`).join(", ")})`);
    }
    write(`${c.gray(`*: sandbox: ${sandbox.users.map((u) => `${u.address} (password ${u.password})`).join(", ")}`)}\n`);
  }
  const stopSandbox = async () => sandbox?.stop();

  const secrets = new SecretBook();
  const { PrettyReporter } = await import("../report/pretty.js");
  const reporter = new PrettyReporter({ write, color });
  const runFlags = [options.sandbox ? " --sandbox" : "", ...(options.ca ?? []).map((file) => ` --ca ${file}`), options.insecure ? " --insecure" : "", options.allowPlaintextAuth ? " --allow-plaintext-auth" : ""].join("");
  const trust = [...ca, ...(sandbox?.caPem ? [sandbox.caPem] : [])];
  const box = sandbox;
  const session = new ShellSession({
    url,
    compile: { allowPlaintextAuth: Boolean(options.allowPlaintextAuth), insecure: Boolean(options.insecure), ...(defaultTimeoutMs ? { defaultTimeoutMs } : {}) },
    secrets,
    emit: (event) => {
      reporter.event(shownAsShell(event));
      // A close while the prompt waits ends the session at once, as telnet does.
      if (event.type === "closed") setImmediate(() => terminal.wake());
    },
    say: (text, tone) => write(`${tone === "warning" ? c.yellow(`*: ${text}`) : c.gray(`*: ${text}`)}\n`),
    // Diagnostics name the session's line, not the file the compiler was given.
    diagnostics: (list, source) => write(`${renderDiagnostics(list.map((d) => (d.span ? { ...d, span: { ...d.span, file: "shell" } } : d)), () => source, { color })}\n`),
    ...(trust.length > 0 ? { ca: trust } : {}),
    ...(box ? { route: (step) => ({ address: "127.0.0.1", port: box.portFor(step.scheme)! }) } : {}),
    recordedAt: `${url}${options.sandbox ? " (the sandbox)" : ""}`,
    runCommand: `mailchat run FILE${runFlags}`,
  });

  function complete(line: string): string[] {
    if (!/\s/.test(line.trimStart())) return [...SHELL_COMMANDS.map((s) => s.name), ...STATEMENT_KEYWORDS, ...session.protocolCommands];
    const offered = session.capabilities;
    const words = offered ? [...offered].flatMap(([keyword, params]) => [keyword, ...params]) : [];
    if (/^\s*auth\s+\S*$/.test(line)) return [...new Set((offered?.get("AUTH") ?? offered?.get("SASL") ?? []).map((m) => m.toLowerCase()))];
    return [...new Set(words)];
  }

  let interrupted = false;
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    write(`\n${c.yellow("*: interrupted: the connection is dropped")}\n`);
    terminal.close();
    void session.close();
    setTimeout(() => process.exit(EXIT_INTERRUPTED), 3_000).unref();
  };
  terminal.interrupted(interrupt);
  process.once("SIGINT", interrupt);

  let status: number = EXIT.ok;
  try {
    if (terminal.interactive) write(`${c.gray(`*: mailchat shell: :help lists what can be typed; Ctrl-D or :quit ends the session`)}\n`);
    const started = await session.start();
    if (started !== "connected") {
      status = started === "invalid" ? EXIT.invalid : EXIT.connectionFailed;
      return status;
    }
    const prompt = `${session.ctx.protocol?.name ?? "mail"}> `;
    for (;;) {
      if (!session.open) {
        if (!interrupted) write(`${c.gray("*: the connection is closed; the session ends")}\n`);
        break;
      }
      const line = await terminal.read(color ? c.cyan(prompt) : prompt);
      if (line === undefined || interrupted) break;
      if (holdsCredentials(line)) terminal.forget(line);
      const typed = classify(line);
      if (typed.kind === "shell") {
        if (typed.command === ":quit" || typed.command === ":q") break;
        shellLine(typed.command, typed.argument);
        continue;
      }
      await session.typed(
        line,
        (until) => readBlock(until),
        () => terminal.readSecret("password: "),
      );
    }
    if (session.failedExpectations > 0) status = EXIT.expectationFailed;
  } finally {
    process.removeListener("SIGINT", interrupt);
    await session.close();
    // The drop is known once the connection is closed, which may be only now.
    if (status === EXIT.ok && session.brokeProtocol) status = EXIT.expectationFailed;
    terminal.close();
    if (options.save && status !== EXIT.connectionFailed && status !== EXIT.invalid) save(options.save, true);
    await stopSandbox();
  }
  return interrupted ? EXIT_INTERRUPTED : status;

  /** The lines of a `data` body or a `pipeline`, up to the line that ends it. */
  async function readBlock(until: string): Promise<string[] | undefined> {
    const lines: string[] = [];
    let bytes = 0;
    for (;;) {
      const line = await terminal.read("... ");
      // A message's lines are not commands to recall (and may be private): not in the history.
      if (until === ".") terminal.forget(line);
      if (line === undefined || interrupted) {
        write(`${c.yellow(`*: the input ended before the \`${until}\` line: nothing was sent`)}\n`);
        return undefined;
      }
      if (line.trim() === until) return lines;
      bytes += Buffer.byteLength(line) + 2;
      if (bytes > MAX_SCRIPT_BYTES) {
        write(`${c.yellow(`*: over ${MAX_SCRIPT_BYTES / 1_048_576} MiB typed before the \`${until}\` line: nothing was sent; a large message goes in \`data file "…"\``)}\n`);
        // The rest of the block is read and dropped, so its lines are not taken for commands.
        for (let rest = await terminal.read(""); rest !== undefined && rest.trim() !== until; rest = await terminal.read("")) {}
        return undefined;
      }
      lines.push(line);
    }
  }

  function shellLine(command: string, argument: string): void {
    switch (command) {
      case ":help":
      case ":h":
        write(`${HELP}\n`);
        return;
      case ":show":
        write(session.text());
        return;
      case ":save":
        if (!argument) {
          write(`${c.yellow("*: :save takes a file name: :save check.mailchat")}\n`);
          return;
        }
        save(argument, false);
        return;
      default:
        write(`${c.yellow(`*: \`${command}\` is not a command of the shell (:help lists them); a line starting with \`:\` is sent with \`send ${command}${argument ? " …" : ""}\``)}\n`);
    }
  }

  function save(file: string, atEnd: boolean): void {
    const problem = outputFileProblem(file);
    if (problem) {
      write(`${c.red(`*: cannot save ${file}: ${problem}`)}\n`);
      status = EXIT.invalid;
      return;
    }
    try {
      writeFileAtomic.sync(file, session.text().replace("mailchat run FILE", `mailchat run ${file}`));
      write(`${c.gray(`*: ${atEnd ? "the session is saved in" : "saved in"} ${file}`)}\n`);
    } catch (error) {
      write(`${c.red(`*: cannot save ${file}: ${describeFsError(error)}`)}\n`);
      status = EXIT.invalid;
    }
  }
}

/** Failures name the line of the session, not a file on disk. */
function shownAsShell(event: RunEvent): RunEvent {
  if (event.type !== "step-end" || event.status === "pass") return event;
  const span = { ...event.step.span, file: "shell" };
  const shown = { ...event, step: { ...event.step, span } };
  if (event.failure?.span) shown.failure = { ...event.failure, span: { ...event.failure.span, file: "shell" } };
  return shown;
}

function usage(message: string): number {
  process.stderr.write(`mailchat: ${message}\n`);
  return EXIT.invalid;
}
