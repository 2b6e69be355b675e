// The command line: commander parses, builds one options value, calls the library.
// Heavy modules (parser, TLS, reporters, the sandbox) load only when a command needs them.
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { PROTOCOL_NAMES } from "../protocols/index.js";
import { REPORTER_NAMES } from "../report/reporter.js";
import { SERVE_IDLE_TIMEOUT_MS, SERVE_STALL_TIMEOUT_MS } from "../limits.js";
import { EXIT } from "../runtime/events.js";
import { PROFILES } from "../sandbox/profiles.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export class UsageError extends Error {}

// The plugin line (nagios) is for standard output only; the rest may also go to files.
const FILE_REPORTERS = REPORTER_NAMES.filter((name) => name !== "pretty" && name !== "nagios");
const FORMAT_TITLES: Record<string, string> = { json: "JSON", html: "HTML", tap: "TAP", junit: "JUnit XML", jsonl: "JSON-lines" };

function collectVar(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("expected NAME=VALUE.");
  const name = value.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidArgumentError(`\`${name}\` is not a variable name (letters, digits and _, starting with a letter).`);
  return { ...previous, [name]: value.slice(eq + 1) };
}

function collectFile(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const RUN_EXAMPLES = `
Examples:
  $ mailchat run --sandbox examples/first.mailchat
  $ mailchat run check.mailchat --var host=mx.example.com --var user=alice@example.com
  $ MAILCHAT_PASSWORD=… mailchat run submission.mailchat --ca ./my-ca.pem
  $ mailchat run recipe:cert-chain --var host=mx.example.com --save-certs ./chains
  $ mailchat run pop3-check.mailchat --secret password="$POP_PASSWORD"
  $ mailchat run recipes/*.mailchat --reporter json > report.json
  $ mailchat run check.mailchat --repeat 1000 --concurrency 50
  $ mailchat run mx-check.mailchat --targets mx-hosts.txt --jobs 20 --report-junit fleet.xml
  $ mailchat run mx-check.mailchat --var host=mx1.example.com --reporter nagios
  $ mailchat run recipe:mail-gets-through --var domain=example.com --resolver 192.0.2.53

Exit status:
  0  every expectation held (a warning threshold crossed is shown, and still exits 0
     unless --fail-on-warning)
  1  an expectation failed (the transcript shows a diff and a hint), or, with
     --fail-on-warning, a warning threshold was crossed
  2  a script or the command line is invalid (nothing was sent)
  3  a connection or TLS failure (DNS, refused, timeout, handshake, certificate)
  74 standard output, or a --report-NAME file at the end, could not be written
  Several scripts or targets: the worst of them. With --reporter nagios the plugin
  convention instead: 0 OK, 1 WARNING (a warning threshold crossed, nothing failed),
  2 CRITICAL (a check failed), 3 UNKNOWN (invalid input).`;

const CHECK_EXAMPLES = `
Examples:
  $ mailchat check check.mailchat
  $ mailchat check recipes/*.mailchat --var host=mx.example.com

Exit status: 0 every script is valid, 2 a script is invalid.`;

const SERVE_EXAMPLES = `
Examples:
  $ mailchat serve check.mailchat.golden --port 2525
  $ mailchat serve check.mailchat.golden --once --ca-out ca.pem
  $ mailchat serve check.mailchat.golden --once --record what-my-client-sent.golden
  $ mailchat serve check.mailchat.golden --once --secret password="$PASSWORD"

Capabilities list only the SASL mechanisms serve can replay. A client may log in any plain
way its protocol has (IMAP LOGIN or AUTHENTICATE PLAIN, POP3 USER/PASS or AUTH PLAIN/LOGIN,
SMTP AUTH PLAIN or LOGIN) where the recording logged in another: it gets the recorded
outcome. Questions the recording does not hold (EHLO, CAPA, CAPABILITY, NOOP, ID …) are
answered from it; each such answer is noted.

A client that stops reading its replies is read no further; one that leaves them unread for
${SERVE_STALL_TIMEOUT_MS / 1000} s, sends nothing for ${SERVE_IDLE_TIMEOUT_MS / 60_000} minutes, or fails its TLS handshake is disconnected, with a note.

Exit status:
  0    every connection matched the recording (without --once: when Ctrl-C or
       SIGTERM stops serve)
  1    a connection diverged from the recording or was cut off
  2    the command line or the golden file is invalid
  3    the port cannot be listened on
  130  --once only: Ctrl-C or SIGTERM stopped serve before every recorded
       connection was served`;

const SHELL_EXAMPLES = `
Examples:
  $ mailchat shell submission://mail.example.com --save submission.mailchat
  $ mailchat shell --sandbox imap://localhost
  $ printf 'EHLO me\\nQUIT\\n' | mailchat shell smtp://mx.example.com --save mx.mailchat

Typed lines: \`:help\`, \`:show\`, \`:save FILE\`, \`:quit\` are the shell's; a line starting with a
statement keyword in lower case (starttls, auth, data, expect …) is a statement; anything else
is sent as typed. See docs/shell.md.

Exit status:
  0    the session ended (end of input, :quit, or the server closed it)
  1    an \`expect\` typed did not hold, or the server broke the protocol (a
       flood or an endless line, dropped; a reply cut off by its close)
  2    the command line is invalid, or the script could not be saved
  3    the connection or its TLS failed at the start
  130  Ctrl-C dropped the connection`;

const EXPLAIN_HELP = `
Examples:
  $ mailchat explain "550 5.7.26 This mail has been blocked because the sender is unauthenticated."
  $ mailchat explain "-ERR [AUTH] Authentication failed."
  $ mailchat explain --file bounce.eml
  $ grep 4F1A2B3C /var/log/mail.log | mailchat explain

Reads a whole bounce message (an RFC 3464 delivery status notification, or the non-delivery
report of Postfix, Exim, Microsoft 365 or Gmail), its delivery-status part alone, Postfix,
Exim, Sendmail or Dovecot log lines, a Microsoft 365 message trace event, or a bare reply.
It says what it read (recipient, remote host, the reply that decided) before the cause; other
codes in the text (a DSN's Status, a reply quoted inside the reply) are shown as context.

The text is taken as given: only the exact words --file, -h and --help are options, and only
before the text starts; "-ERR …" or "-hello" are text. To explain the word -h or --help
itself, put -- before it or use standard input. A path is never read unless given to --file.

Exit status: 0 a hint or a code meaning was found, 1 none is known, 2 no text, or the file
cannot be read or is over 16 MiB.`;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("mailchat")
    .description("Scripted, reproducible mail server sessions: the tool to reach for instead of `telnet host 25` and `openssl s_client`.")
    .version(VERSION, "-V, --version", "print the version")
    .showSuggestionAfterError(true)
    // The program's own options (-V) only before the command: after it, "-Verification
    // failed …" is explain's text, not a request for the version.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "mailchat: ")) });

  const run = program
    .command("run")
    .description("run .mailchat scripts against live servers and check every reply")
    .argument("<file...>", "scripts to run, in order")
    .option("--var <name=value>", "set a param or variable (repeatable)", collectVar)
    .option("--secret <name=value>", "set a param or variable whose value is masked in every output, as Hurl does (repeatable)", collectVar)
    .option("--ca <file>", "trust this CA certificate (PEM) in addition to the system's (repeatable)", collectFile)
    .option("--insecure", "do not verify certificates (the transcript says so)")
    .option("--save-certs <dir>", "write each server's certificate chain as PEM to DIR/HOST_PORT.pem (leaf first, written atomically)")
    .option("--resolver <addr[:port]>", "ask this DNS server for every name, MX, PTR, TXT and TLSA (a validating one for DANE), instead of the system's")
    .addOption(new Option("--reporter <name>", "output format").choices([...REPORTER_NAMES]).default("pretty"));
  // --report-junit FILE and the like: more reports of the same run, one per file format.
  for (const format of FILE_REPORTERS) run.option(`--report-${format} <file>`, `also write the ${FORMAT_TITLES[format] ?? format} report to FILE (written atomically at the end)`);
  run
    .option("--timeout <duration>", "default wait for each reply, e.g. 10s (the script's `timeout` overrides it)")
    .option("--show-secrets", "print passwords and tokens instead of ********")
    .option("--allow-plaintext-auth", "permit `auth` on connections the script has not encrypted")
    .option("--sandbox", "run against mailchat's embedded sandbox server instead of the network")
    .option("--sandbox-profile <name>", "with --sandbox: reproduce a known fault (see `mailchat sandbox --help`)")
    .option("--golden", "compare the whole transcript with FILE.golden beside each script")
    .option("--update", "with --golden: record FILE.golden from this run (written atomically)")
    .option("--repeat <n>", "load: run the script N times and print sessions/s, latency percentiles per step kind and failures by cause")
    .option("--concurrency <n>", "load: with --repeat, N sessions at a time (default 1)")
    .option("--jobs <n>", "fleet: run N scripts (or script × target pairs) at a time (default 1)")
    .option("--targets <file>", "fleet: run each script once per line of FILE: a host, or NAME=VALUE variables (see docs/fleet.md)")
    .option("--fail-on-warning", "exit 1 when a warning threshold (`warn`) is crossed, as when an expectation fails")
    .option("-v, --verbose", "also list each passed expectation")
    .option("--color", "force colour output")
    .option("--no-color", "never colour output")
    .addHelpText("after", RUN_EXAMPLES)
    .action(async (files: string[], options: Record<string, unknown>) => {
      const { runCommand } = await import("./run.js");
      const reportFiles: Record<string, string> = {};
      for (const format of FILE_REPORTERS) {
        const key = `report${format[0]!.toUpperCase()}${format.slice(1)}`;
        if (typeof options[key] === "string") reportFiles[format] = options[key] as string;
      }
      process.exitCode = await runCommand(files, { ...options, reportFiles });
    });

  program
    .command("check")
    .description("compile scripts without connecting: syntax, variables, protocol and TLS-state checks")
    .argument("<file...>", "scripts to check")
    .option("--var <name=value>", "set a param or variable (repeatable)", collectVar)
    .option("--secret <name=value>", "set a param or variable whose value is masked in every output (repeatable)", collectVar)
    .option("--allow-plaintext-auth", "permit `auth` on connections the script has not encrypted")
    .option("--color", "force colour output")
    .option("--no-color", "never colour output")
    .addHelpText("after", CHECK_EXAMPLES)
    .action(async (files: string[], options: Record<string, unknown>) => {
      const { checkCommand } = await import("./run.js");
      process.exitCode = await checkCommand(files, options);
    });

  program
    .command("import")
    .description("turn a pasted session (telnet, openssl s_client, swaks, golden transcript), a mail client's debug log or a Wireshark/tshark packet capture into a script")
    .argument("<file>", "the pasted session, or - for standard input")
    .option("-o, --output <file>", "write the script here (atomically) instead of standard output")
    .option("--protocol <name>", `${PROTOCOL_NAMES.join(", ")}, when it cannot be inferred`)
    .addHelpText("after", "\nExamples:\n  $ mailchat import kb-article-session.txt -o check.mailchat\n  $ pbpaste | mailchat import - --protocol pop3\n\nPasswords are never written: AUTH exchanges become `auth … ${env.MAILCHAT_PASSWORD}`.\n\nReads pasted telnet, openssl s_client, swaks and golden sessions, , mail clients' debug logs and Wireshark/tshark packet captures (details pane, Follow TCP Stream, summary) (docs/golden.md, \"What import reads\").\n\nExit status: 0 written, 1 written but it does not compile yet or sends nothing (why is on standard error), 2 bad input (over 2 MiB, 20,000 lines or 8 KiB a line, or not text).")
    .action(async (file: string, options: { output?: string; protocol?: string }) => {
      const { importCommand } = await import("./import.js");
      process.exitCode = importCommand(file, options);
    });

  program
    .command("explain")
    .description("explain a refusal you hold (a bounce message, log lines, a reply): what was read, the hint mailchat would give, its source, the status code's meaning")
    .argument("[text...]", "the text, as given (a word starting with - is text too); none, or -, reads standard input")
    .option("--file <path>", "read the text from this file (a saved bounce .eml, a log excerpt); - for standard input")
    // The text is often a reply that starts with `-` ("-ERR [AUTH] …"): every word that is not
    // exactly one of explain's options is text, and so is everything after it.
    .allowUnknownOption()
    .addHelpText("after", EXPLAIN_HELP)
    .action(async (text: string[], options: { file?: string }) => {
      const { explainCommand } = await import("./explain.js");
      process.exitCode = await explainCommand(text, options);
    });

  program
    .command("serve")
    .description("play the server side of a golden transcript, to test a mail client against a recorded session")
    .argument("<golden>", "a FILE.golden written by `mailchat run --golden --update`")
    .option("--port <n>", "listen on this port of 127.0.0.1 (default: a free one, printed)")
    .option("--tls-cert <file>", "certificate (PEM) for STARTTLS and implicit TLS (default: generated, with a CA)")
    .option("--tls-key <file>", "its private key (PEM)")
    .option("--ca-out <file>", "where to write the generated CA certificate")
    .option("--once", "serve each recorded connection once, then exit 0 (matched) or 1 (diverged or cut off)")
    .option("--record <file>", "also write what the clients really sent, with the replies they got, as a golden transcript (atomically, when serve stops)")
    .option("--strict", "compare client lines byte for byte (by default command case, EHLO names, ESMTP parameters such as SIZE=, IMAP tags, message headers and the login form may differ, and questions such as CAPA or NOOP are answered)")
    .option("--secret <name=value>", "a password clients must log in with (checked whatever login form they use; masked in every output; repeatable)", collectVar)
    .addHelpText("after", SERVE_EXAMPLES)
    .action(async (golden: string, options: Record<string, unknown>) => {
      const { serveCommand } = await import("./serve.js");
      process.exitCode = await serveCommand(golden, options);
    });

  program
    .command("recipes")
    .description("list the troubleshooting recipes shipped with mailchat, or print one")
    .argument("[action]", "list (the default) or show")
    .argument("[name]", "the recipe to show")
    .addHelpText("after", "\nExamples:\n  $ mailchat recipes\n  $ mailchat recipes show tls-versions\n  $ mailchat run recipe:tls-versions --var host=mail.example.com")
    .action(async (action: string | undefined, name: string | undefined) => {
      const { recipesCommand } = await import("./recipes.js");
      process.exitCode = recipesCommand(action, name);
    });

  program
    .command("shell")
    .description("type a session by hand, as with telnet or openssl s_client, and keep it as a script that runs green")
    .argument("<url>", "where to connect: smtp://, submission://, smtps://, lmtp://, pop3://, pop3s://, imap://, imaps://, sieve://")
    .option("--save <file>", "write the session as a .mailchat script when it ends (atomically); :save FILE writes it at any time")
    .option("--sandbox", "connect to mailchat's embedded sandbox server instead of the network (the URL's scheme picks the service)")
    .option("--ca <file>", "trust this CA certificate (PEM) in addition to the system's (repeatable)", collectFile)
    .option("--insecure", "do not verify certificates (the transcript says so)")
    .option("--timeout <duration>", "wait this long for each reply (default 30s)")
    .option("--allow-plaintext-auth", "permit `auth` on a connection not encrypted")
    .option("--no-history", "keep no history of typed lines (by default kept in the cache directory, never lines that log in)")
    .option("--color", "force colour output")
    .option("--no-color", "never colour output")
    .addHelpText("after", SHELL_EXAMPLES)
    .action(async (url: string, options: Record<string, unknown>) => {
      const { shellCommand } = await import("./shell.js");
      process.exitCode = await shellCommand(url, options);
    });

  program
    .command("sandbox")
    .description("run mailchat's sandbox mail server (SMTP, submission, SMTPS, LMTP, POP3, POP3S, IMAP, IMAPS, ManageSieve) until Ctrl-C")
    .option("--port-offset <n>", "listen on each service's default port + n", "10000")
    .option("--profile <name>", `reproduce a known fault: ${PROFILES.map((profile) => profile.name).join(", ")}`)
    .addHelpText("after", "\nExamples:\n  $ mailchat sandbox\n  $ mailchat sandbox --profile strip-starttls --port-offset 20000")
    .action(async (options: { portOffset?: string; profile?: string }) => {
      const { sandboxCommand } = await import("./sandbox.js");
      process.exitCode = await sandboxCommand(options);
    });

  program.addHelpText(
    "after",
    `
Examples:
  $ mailchat run --sandbox examples/first.mailchat     # a full session, no server needed
  $ mailchat run check.mailchat --var host=mx.example.com
  $ mailchat check check.mailchat
  $ mailchat shell --sandbox submission://localhost    # type a session, keep it as a script

Environment:
  NO_COLOR, FORCE_COLOR   colour off, or on when not a terminal
  MAILCHAT_CACHE_DIR      where the code cache, the sandbox's keys and the shell's
                          history are kept (default ~/.cache/mailchat)
  MAILCHAT_BUNDLE=0       run the compiled modules, not the bundled CLI
  MAILCHAT_DEBUG=1        the stack of an internal error

Language reference: docs/language.md in the package (node_modules/mailchat/docs/).`,
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `mailchat run … | head`: the reader left; stop quietly, as other Unix tools do. Any other
  // failure to write (a full disk, an I/O error) leaves the report incomplete: said in one
  // line on stderr while it can still be written, never as a stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      if (stream === process.stdout) process.stderr.write(`mailchat: cannot write to standard output (${error.code ?? error.message}); the report is incomplete.\n`);
      process.exit(EXIT.outputFailed);
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`mailchat: ${error.message}\n`);
      process.exitCode = EXIT.invalid;
      return;
    }
    throw error;
  }
}
