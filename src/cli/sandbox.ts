// `mailchat sandbox`: the sandbox as a long-running server, for scripts run from another
// terminal. Ports are fixed (default port + offset) so recipes can be pointed at them.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT } from "../runtime/events.js";

export async function sandboxCommand(options: { portOffset?: string; profile?: string }): Promise<number> {
  const { startSandbox, findProfile, PROFILES } = await import("../sandbox/index.js");
  const offset = Number(options.portOffset ?? 10_000);
  if (!Number.isInteger(offset) || offset < 0 || offset + 995 > 65_535) {
    process.stderr.write(`mailchat: --port-offset takes a whole number from 0 to ${65_535 - 995}\n`);
    return EXIT.invalid;
  }
  const profile = options.profile === undefined ? undefined : findProfile(options.profile);
  if (options.profile !== undefined && !profile) {
    process.stderr.write(`mailchat: unknown sandbox profile \`${options.profile}\` (profiles: ${PROFILES.map((p) => p.name).join(", ")})\n`);
    return EXIT.invalid;
  }
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox(profile ? { portOffset: offset, profile } : { portOffset: offset });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(`mailchat: cannot start the sandbox: ${code === "EADDRINUSE" ? `a port is in use (${(error as Error).message}); choose another --port-offset` : (error as Error).message}\n`);
    return EXIT.connectionFailed;
  }
  const caFile = join(mkdtempSync(join(tmpdir(), "mailchat-sandbox-")), "ca.pem");
  if (sandbox.caPem) writeFileSync(caFile, sandbox.caPem);
  const rows = sandbox.services.map((s) => [s.name, `${s.scheme}://localhost:${s.port}`, s.tls === "implicit" ? "implicit TLS" : "STARTTLS"]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ["service", "url", "tls"][i]!.length));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ");
  const out = [
    `mailchat sandbox on 127.0.0.1${profile ? ` — fault profile ${profile.name}: ${profile.description}` : ""}`,
    "",
    line(["service", "url", "tls"]),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    "users:",
    ...sandbox.users.map((u) => `  ${u.address}  password ${u.password}`),
    "",
    sandbox.caPem ? `CA certificate: ${caFile}` : "CA certificate: withheld (self-signed profile)",
    "",
    "try, from another terminal:",
    `  mailchat run examples/submission.mailchat --var host=localhost:${sandbox.portFor("submission")}${sandbox.caPem ? ` --ca ${caFile}` : ""}`,
    `  mailchat run recipe:imap-login --var host=localhost:${sandbox.portFor("imap")}${sandbox.caPem ? ` --ca ${caFile}` : ""}`,
    "  (a recipe connects to one service: give it that service's port)",
    "",
    "Ctrl-C stops the sandbox.",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
  await new Promise<void>((resolvePromise) => {
    const stop = () => resolvePromise();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await sandbox.stop();
  process.stdout.write("sandbox stopped\n");
  return EXIT.ok;
}
