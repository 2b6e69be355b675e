// `mailchat serve FILE.golden`: a recorded server for testing mail clients against it.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeFsError } from "../compile/compile.js";
import { EXIT } from "../runtime/events.js";

export interface ServeOptions {
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  caOut?: string;
  once?: boolean;
  strict?: boolean;
  record?: string;
  secret?: Record<string, string>;
}

/** The status of a command cut short by Ctrl-C (or SIGTERM), as `run` gives it: 128 + SIGINT. */
const INTERRUPTED = 130;

function fail(message: string): number {
  process.stderr.write(`mailchat: ${message}\n`);
  return EXIT.invalid;
}

export async function serveCommand(file: string, options: ServeOptions): Promise<number> {
  const { parseGolden, startReplay } = await import("../serve/replay.js");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return fail(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const segments = parseGolden(text);
  const { SecretBook } = await import("../secrets/book.js");
  const secrets = new SecretBook();
  const passwords = Object.values(options.secret ?? {});
  for (const value of passwords) secrets.add(value);
  if (segments.length === 0) return fail(`${file} holds no recorded connection (no \`*: connect\` line): record one with \`mailchat run SCRIPT --golden --update\``);
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return fail(`--port takes a port number, got \`${options.port}\``);
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) return fail("--tls-cert and --tls-key go together");

  let certificate: { certPem: string; keyPem: string };
  let caPem: string | undefined;
  if (options.tlsCert && options.tlsKey) {
    try {
      certificate = { certPem: readFileSync(options.tlsCert, "utf8"), keyPem: readFileSync(options.tlsKey, "utf8") };
    } catch (error) {
      return fail(`cannot read the TLS certificate or key: ${describeFsError(error)}`);
    }
  } else {
    const { generateCertificates } = await import("../sandbox/certs.js");
    const hosts = segments.map((s) => /^[a-z0-9]+:\/\/\[?([^\]/:]+)/.exec(s.url)?.[1]).filter((h): h is string => Boolean(h));
    const generated = generateCertificates({ hosts });
    certificate = generated;
    caPem = generated.caPem;
  }
  const caFile = options.caOut ?? join(mkdtempSync(join(tmpdir(), "mailchat-serve-")), "ca.pem");
  if (caPem) writeFileSync(caFile, caPem);

  // --record: what each client really sent, kept by connection, written when serve stops.
  const recorded = new Map<number, string[]>();
  const record = (segment: number, line: string) => {
    const lines = recorded.get(segment) ?? [];
    lines.push(line);
    recorded.set(segment, lines);
  };
  let diverged = false;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolvePromise) => (done = resolvePromise));
  const replay = await startReplay({
    segments,
    port,
    certificate,
    once: Boolean(options.once),
    strict: Boolean(options.strict),
    secrets,
    ...(passwords.length > 0 ? { passwords } : {}),
    ...(options.record ? { record } : {}),
    onEvent: (event) => {
      if (event.type === "session-start") process.stdout.write(`*: connection ${event.segment + 1}: replaying ${event.url}\n`);
      if (event.type === "session-end" && event.ok) process.stdout.write(`✔ connection ${event.segment + 1} matched the recording\n`);
      if (event.type === "session-end" && event.note) {
        diverged = true;
        process.stdout.write(`✘ connection ${event.segment + 1} ended: ${event.note}\n`);
      }
      if (event.type === "note") process.stdout.write(`*: connection ${event.segment + 1}: ${event.text}\n`);
      if (event.type === "divergence") {
        diverged = true;
        const d = event.divergence;
        const which = d.clientLine ? `  (the client's line ${d.clientLine} of this connection)` : "";
        process.stdout.write(`✘ connection ${d.segment + 1} diverged at ${file}:${d.line}\n  expected: C: ${d.expected}\n  received:    ${d.received}${which}\n`);
        if (d.why) process.stdout.write(`  why:      ${d.why}\n`);
        process.stdout.write(
          options.record
            ? `  this client's own session is being recorded in ${options.record}: serve that file to test the client as it is\n`
            : `  to test this client as it is, record its own session: mailchat serve ${file} --once --record CLIENT.golden\n`,
        );
      }
      if (options.once && event.type === "session-end" && (!event.ok || event.segment + 1 >= segments.length)) done();
    },
  }).catch((error: NodeJS.ErrnoException) => {
    process.stderr.write(`mailchat: cannot listen on 127.0.0.1:${port}: ${error.code === "EADDRINUSE" ? "the port is in use" : error.message}\n`);
    return undefined;
  });
  if (!replay) return EXIT.connectionFailed;
  // SIGINT or SIGTERM: close the listener and every connection now. Without --once that is
  // how serve stops; with --once it cuts the recorded sessions short (status 130). Heard
  // before serve says it listens: whoever waits for that line may signal at once.
  let interrupted = false;
  const status = () => (interrupted && options.once ? INTERRUPTED : diverged ? EXIT.expectationFailed : EXIT.ok);
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted = true;
    process.stdout.write(`${signal}: serve stops${options.once ? " before every recorded connection was served" : ""}\n`);
    done();
    // Whatever still holds the event loop, serve is gone within the second.
    setTimeout(() => process.exit(status()), 500).unref();
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  process.stdout.write(`serving ${file} on 127.0.0.1:${replay.port} (${segments.length} recorded connection${segments.length === 1 ? "" : "s"})\n`);
  if (caPem) process.stdout.write(`CA certificate: ${caFile}\n`);
  process.stdout.write(options.once ? "serving each recorded connection once\n" : "Ctrl-C stops the server\n");
  await finished;
  await replay.stop();
  if (options.record) {
    const { writeGolden } = await import("../golden/golden.js");
    const lines = [...recorded.entries()].sort(([a], [b]) => a - b).flatMap(([, session]) => session);
    try {
      writeGolden(options.record, lines, []);
      process.stdout.write(`recorded ${recorded.size} client session${recorded.size === 1 ? "" : "s"} in ${options.record}\n`);
    } catch (error) {
      process.stderr.write(`mailchat: cannot write ${options.record}: ${describeFsError(error)}\n`);
      return EXIT.invalid;
    }
  }
  return status();
}
