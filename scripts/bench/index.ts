// `npm run bench`: every speed and memory figure of issue 13, each as a ratio against a
// reference measured side by side in the same run (medians), so the numbers mean the same on
// any machine. Printed, never asserted. Needs only Node; the swaks-vs-Postfix figure runs
// when swaks and Postfix are installed (as the interop suite installs them), and says so when not.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, createWriteStream, readFileSync, existsSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
// The installed command (a shell that starts Node from the start-up snapshot when there is
// one), and the script it runs, started by Node itself as before the snapshot.
const COMMAND = join(ROOT, "bin/mailchat");
const CLI = join(ROOT, "bin/mailchat.cjs");
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const dir = mkdtempSync(join(tmpdir(), "mailchat-bench-"));
const rows: Array<[string, string, string, string, string]> = [];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall ms and peak RSS (MiB, from /proc while it runs) of one process. */
function once(command: string, args: string[], env: Record<string, string> = {}): Promise<{ ms: number; peakMiB: number; code: number | null }> {
  return new Promise((done) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, NO_COLOR: "1", ...env } });
    let peak = 0;
    const sample = setInterval(() => {
      try {
        const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
        if (kb) peak = Math.max(peak, Number(kb) / 1024);
      } catch {
        // the process has ended
      }
    }, 10);
    child.on("close", (code) => {
      clearInterval(sample);
      done({ ms: Number(process.hrtime.bigint() - started) / 1e6, peakMiB: peak, code });
    });
  });
}

/** Medians of A and B, run in turn (A B A B …) so a drifting machine moves both alike. */
async function paired(a: [string, string[]], b: [string, string[]], runs = RUNS): Promise<{ a: number; b: number }> {
  // A figure of a command that failed would be a figure of something else.
  for (const [command, args] of [a, b]) {
    const { code } = await once(command, args);
    if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}`);
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < runs; i++) {
    as.push((await once(...a)).ms);
    bs.push((await once(...b)).ms);
  }
  return { a: median(as), b: median(bs) };
}

function row(work: string, mine: number, reference: string, refValue: number, goal: string, unit = "ms"): void {
  rows.push([work, `${mine.toFixed(unit === "ms" ? 0 : 1)} ${unit}`, `${reference}: ${refValue.toFixed(unit === "ms" ? 0 : 1)} ${unit}`, `${(mine / refValue).toFixed(2)}×`, goal]);
  console.log(`${work}: ${mine.toFixed(1)} ${unit} vs ${reference} ${refValue.toFixed(1)} ${unit} = ${(mine / refValue).toFixed(2)}× (goal ${goal})`);
}

/** A sink SMTP server: 220, then 250 to every line, 354 to DATA, 250 after the end of data. */
/** An SMTP server that takes anything and keeps nothing: DATA up to its `.`, BDAT chunks counted. */
function sink(): Promise<{ port: number; close(): void }> {
  return new Promise((ready) => {
    const server = createServer((socket: Socket) => {
      socket.write("220 sink ESMTP\r\n");
      let inData = false;
      let tail = "";
      // The bytes of a BDAT chunk still to come, and its reply once they have.
      let skip = 0;
      let afterChunk = "";
      let quit = false;
      socket.on("data", (chunk: Buffer) => {
        let text = tail + chunk.toString("latin1");
        tail = "";
        const out: string[] = [];
        while (text.length > 0) {
          if (skip > 0) {
            const n = Math.min(skip, text.length);
            skip -= n;
            text = text.slice(n);
            if (skip === 0) out.push(afterChunk);
            continue;
          }
          const at = text.indexOf("\r\n");
          if (at < 0) {
            tail = text;
            break;
          }
          const line = text.slice(0, at);
          text = text.slice(at + 2);
          if (inData) {
            if (line === ".") {
              inData = false;
              out.push("250 2.0.0 Ok: queued as SINK");
            }
            continue;
          }
          const bdat = /^BDAT (\d+)( LAST)?$/i.exec(line);
          if (bdat) {
            skip = Number(bdat[1]);
            afterChunk = bdat[2] ? "250 2.0.0 Ok: queued as SINK" : `250 2.0.0 ${skip} octets received`;
            if (skip === 0) out.push(afterChunk);
          } else if (/^DATA$/i.test(line)) {
            inData = true;
            out.push("354 go ahead");
          } else if (/^QUIT/i.test(line)) {
            // RFC 5321 §4.1.1.10: the server sends 221 and closes, as Postfix and smtp-sink do.
            // A sink that stays open makes mailchat wait for that close (FAREWELL_CLOSE_MS)
            // and measures the wait, not the client.
            out.push("221 bye");
            quit = true;
          }
          else if (/^EHLO/i.test(line)) out.push("250-sink", "250-PIPELINING", "250 CHUNKING");
          else out.push("250 2.1.5 Ok");
        }
        if (out.length) socket.write(`${out.join("\r\n")}\r\n`);
        if (quit) socket.end();
      });
      socket.on("error", () => undefined);
    });
    server.listen(0, "127.0.0.1", () => ready({ port: (server.address() as { port: number }).port, close: () => server.close() }));
  });
}

/** The same exchange as the script, by a bare Node socket client: the floor for any client. */
function rawClient(file: string, port: number, lines: string[], dataFile?: string): void {
  writeFileSync(
    file,
    `import net from "node:net"; import fs from "node:fs";
const lines = ${JSON.stringify(lines)};
const s = net.connect(${port}, "127.0.0.1"); let buf = ""; let i = -1; const dataFile = ${JSON.stringify(dataFile ?? null)};
s.on("data", (c) => { buf += c; let at; while ((at = buf.indexOf("\\r\\n")) >= 0) { const line = buf.slice(0, at); buf = buf.slice(at + 2); if (/^\\d{3}-/.test(line)) continue;
  i += 1; if (i < lines.length) { if (lines[i] === "<data>") { const r = fs.createReadStream(dataFile); r.pipe(s, { end: false }); r.on("end", () => s.write(".\\r\\n")); } else s.write(lines[i] + "\\r\\n"); } else s.end(); } });
`,
  );
}

async function main(): Promise<void> {
  console.log(`mailchat benchmarks (medians of ${RUNS} paired runs), node ${process.version}\n`);
  const node: [string, string[]] = [process.execPath, ["-e", "0"]];
  // BENCH_ONLY=load: the load figure alone (it takes a few seconds; the rest takes minutes).
  if (process.env.BENCH_ONLY === "load") return void (await loadVsSmtpSource());
  // BENCH_ONLY=postfix: the rows against Postfix (swaks, smtp-source) alone.
  if (process.env.BENCH_ONLY === "postfix") {
    await swaksVsPostfix();
    await loadVsSmtpSource();
    return printTable();
  }

  const version = await paired([COMMAND, ["--version"]], node);
  row("mailchat --version", version.a, "node -e 0", version.b, "≤ 1.1×");

  const example = "examples/first.mailchat";
  const check = await paired([COMMAND, ["check", example]], node);
  row(`mailchat check (${readFileSync(join(ROOT, example), "utf8").split("\n").length}-line script)`, check.a, "node -e 0", check.b, "≤ 1.3×");
  // What the start-up snapshot buys: the same check through bin/mailchat.cjs (bundle + code cache).
  const plain = await paired([COMMAND, ["check", example]], [process.execPath, [CLI, "check", example]]);
  row("mailchat check, from the start-up snapshot", plain.a, "without it (bin/mailchat.cjs)", plain.b, "< 1×");
  // What bounds the check row: Node started from a user-land snapshot that holds nothing.
  const empty = emptySnapshot();
  if (empty) {
    const floor = await paired([process.execPath, ["--snapshot-blob", empty]], node);
    row("floor: node from an empty start-up snapshot", floor.a, "node -e 0", floor.b, "what any snapshot costs before its own heap");
  }

  const readme = await paired([COMMAND, ["run", "--sandbox", example]], [COMMAND, ["check", example]], 5);
  row("README's first command (run --sandbox, sandbox start included)", readme.a, "check of the same script", readme.b, "≤ 350 ms in all");

  // `mailchat sandbox` ready: until it prints its services.
  const readies: number[] = [];
  for (let i = 0; i < 5; i++) {
    readies.push(
      await new Promise<number>((done) => {
        const started = process.hrtime.bigint();
        const child = spawn(COMMAND, ["sandbox", "--port-offset", String(30000 + i)], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
        child.stdout.once("data", () => {
          done(Number(process.hrtime.bigint() - started) / 1e6);
          child.kill("SIGINT");
        });
        // A sandbox that cannot start (a port in use) ends without printing: no figure, no hang.
        child.once("close", () => done(Number.NaN));
      }),
    );
  }
  const nodeStart = await paired(node, node, 3);
  row("mailchat sandbox, ready", median(readies), "node -e 0", nodeStart.a, "< 100 ms");

  for (const lines of [10_000, 100_000]) {
    const file = join(dir, `big-${lines}.mailchat`);
    const body = ["connect smtp://localhost"];
    while (body.length < lines) body.push("send NOOP", "expect 250");
    writeFileSync(file, `${body.join("\n")}\n`);
    const big = await paired([COMMAND, ["check", file]], node, 3);
    row(`check of a ${lines.toLocaleString("en")}-line script`, big.a, "node -e 0", big.b, lines === 10_000 ? "≤ 3×" : "linear (10× the 10,000-line check's work)");
  }

  const server = await sink();
  const rcpts = Array.from({ length: 1000 }, (_, i) => `RCPT TO:<user${i}@example.test>`);
  const script = join(dir, "rcpt.mailchat");
  writeFileSync(script, [`connect smtp://127.0.0.1:${server.port}`, "expect 220", "send EHLO bench", "expect 250", "send MAIL FROM:<bench@example.test>", "expect 250", ...rcpts.flatMap((r) => [`send ${r}`, "expect 250"]), "send QUIT", "expect 221", ""].join("\n"));
  const raw = join(dir, "raw-rcpt.mjs");
  rawClient(raw, server.port, ["EHLO bench", "MAIL FROM:<bench@example.test>", ...rcpts, "QUIT"]);
  const rcptRun = await paired([COMMAND, ["run", script, "--reporter", "json"]], [process.execPath, [raw]], 5);
  row("a session with 1,000 RCPT TO", rcptRun.a, "raw Node socket client", rcptRun.b, "≤ 1.1×");
  // What bounds it: mailchat's start and the compile of the 2,000-line script, no session at all.
  const rcptCheck = await paired([COMMAND, ["check", script]], [process.execPath, [raw]], 5);
  row("floor: check of the same script (start-up and compile, nothing sent)", rcptCheck.a, "raw Node socket client, the whole session", rcptCheck.b, "what comes before the first byte");

  const eml = join(dir, "100mb.eml");
  await new Promise<void>((done) => {
    const out = createWriteStream(eml);
    const line = `${"x".repeat(76)}\r\n`;
    const block = line.repeat(1024);
    let written = 0;
    const pump = () => {
      while (written < 100 * 1024 * 1024) {
        written += block.length;
        if (!out.write(block)) return void out.once("drain", pump);
      }
      out.end(done);
    };
    pump();
  });
  const dataScript = join(dir, "data.mailchat");
  const sending = (what: string) => [`connect smtp://127.0.0.1:${server.port}`, "expect 220", "send EHLO bench", "expect 250", "send MAIL FROM:<a@example.test>", "expect 250", "send RCPT TO:<b@example.test>", "expect 250", what, "expect 250", "send QUIT", "expect 221", ""].join("\n");
  writeFileSync(dataScript, sending('data file "100mb.eml"'));
  const rawData = join(dir, "raw-data.mjs");
  rawClient(rawData, server.port, ["EHLO bench", "MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>", "DATA", "<data>", "QUIT"], eml);
  // Throughput from paired runs (one run apiece swung 2× on this machine); memory from one.
  const throughput = await paired([COMMAND, ["run", dataScript, "--reporter", "json"]], [process.execPath, [rawData]], 3);
  const mine = await once(COMMAND, ["run", dataScript, "--reporter", "json"]);
  const theirs = await once(process.execPath, [rawData]);
  row("data file of 100 MB: throughput (MB/s)", 100 / (throughput.a / 1000), "raw client", 100 / (throughput.b / 1000), "≥ 0.8×", "MB/s");
  row("data file of 100 MB: peak memory", mine.peakMiB, "raw client", theirs.peakMiB, "< 120 MB", "MiB");
  // BDAT holds a chunk to say its size first (issue 21: it held 8 of them); beside data file.
  const bdatScript = join(dir, "bdat.mailchat");
  writeFileSync(bdatScript, sending('bdat file "100mb.eml" chunk 16m'));
  const bdat = await once(COMMAND, ["run", bdatScript, "--reporter", "json"]);
  row("bdat file of 100 MB, chunks of 16 MiB: throughput (MB/s)", 100 / (bdat.ms / 1000), "data file", 100 / (throughput.a / 1000), "≥ 0.8×", "MB/s");
  row("bdat file of 100 MB, chunks of 16 MiB: peak memory", bdat.peakMiB, "data file", mine.peakMiB, "≤ data file + 2 chunks", "MiB");
  server.close();

  // BENCH_ONLY=local: all but the rows against Postfix (which the interop suite's lock guards).
  if (process.env.BENCH_ONLY !== "local") {
    await swaksVsPostfix();
    await loadVsSmtpSource();
  }

  printTable();
}

/** A start-up snapshot with nothing in it, made with this Node; undefined if it cannot be made. */
function emptySnapshot(): string | undefined {
  const entry = join(dir, "empty-snapshot.cjs");
  const blob = join(dir, "empty.blob");
  writeFileSync(entry, 'require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {});\n');
  const made = spawnSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", entry], { stdio: "ignore", env: { ...process.env, NODE_OPTIONS: "" } });
  return made.status === 0 && existsSync(blob) ? blob : undefined;
}

/** The load script's session by a bare Node client: connect, the five commands and the
 *  message, QUIT, no checks and no transcript. The floor for any Node client. */
function bareLoadClient(file: string): void {
  writeFileSync(
    file,
    `const net = require("node:net");
const [port, total, concurrency] = process.argv.slice(2).map(Number);
const body = Array.from({ length: 12 }, () => "0123456789".repeat(8)).join("\\r\\n");
const lines = ["EHLO bench.test", "MAIL FROM:<a@bench.test>", "RCPT TO:<b@bench.test>", "DATA", "Subject: load\\r\\n\\r\\n" + body + "\\r\\n.", "QUIT"];
let started = 0;
let done = 0;
function session() {
  if (started >= total) return;
  started += 1;
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  let buffer = "";
  let next = 0;
  socket.on("data", (chunk) => {
    buffer += chunk;
    for (let at = buffer.indexOf("\\r\\n"); at >= 0; at = buffer.indexOf("\\r\\n")) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      if (line[3] === "-") continue;
      if (line[0] !== "2" && line[0] !== "3") throw new Error("unexpected reply " + line);
      if (next < lines.length) socket.write(lines[next++] + "\\r\\n");
      else socket.end();
    }
  });
  socket.on("close", () => {
    done += 1;
    if (done < total) session();
  });
}
for (let i = 0; i < concurrency; i++) session();
`,
  );
}

function printTable(): void {
  console.log("\n| work | mailchat | reference | ratio | goal |\n| --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

/**
 * Load (issue 14): sessions per second against Postfix's smtp-sink, mailchat `--repeat
 * --concurrency` vs Postfix's own smtp-source, same concurrency and message size, both whole
 * processes timed from the outside (start-up included, amortised over many sessions).
 */
async function loadVsSmtpSource(): Promise<void> {
  if (!existsSync("/usr/sbin/smtp-sink") || !existsSync("/usr/sbin/smtp-source")) {
    console.log("load vs smtp-source: skipped (needs smtp-sink and smtp-source from Debian's postfix package, as .ci/run installs it)");
    return;
  }
  const sessions = Number(process.env.BENCH_LOAD_SESSIONS ?? 3000);
  const concurrency = 20;
  const port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
  const sink = spawn("/usr/sbin/smtp-sink", [...(process.getuid?.() === 0 ? ["-u", "nobody"] : []), "-c", `127.0.0.1:${port}`, "256"], { stdio: "ignore" });
  await new Promise((done) => setTimeout(done, 300));
  try {
    // About 1 KB of message, as smtp-source -l 1000 sends.
    const body = Array.from({ length: 12 }, () => "0123456789".repeat(8));
    const script = join(dir, "load.mailchat");
    writeFileSync(script, ["param port", "connect smtp://127.0.0.1:${port}", "expect 220", "send EHLO bench.test", "expect 250", "send MAIL FROM:<a@bench.test>", "expect 250", "send RCPT TO:<b@bench.test>", "expect 250", "data", "Subject: load", "", ...body, ".", "expect 250", "send QUIT", "expect 221", ""].join("\n"));
    const result = await paired(
      [COMMAND, ["run", script, "--var", `port=${port}`, "--repeat", String(sessions), "--concurrency", String(concurrency)]],
      ["/usr/sbin/smtp-source", ["-s", String(concurrency), "-m", String(sessions), "-l", "1000", "-f", "a@bench.test", "-t", "b@bench.test", `127.0.0.1:${port}`]],
      3,
    );
    const mine = (sessions / result.a) * 1000;
    const theirs = (sessions / result.b) * 1000;
    rows.push([`load: ${sessions} sessions, ${concurrency} at a time, against smtp-sink (sessions/s)`, `${mine.toFixed(0)}/s`, `smtp-source: ${theirs.toFixed(0)}/s`, `${(mine / theirs).toFixed(2)}×`, "≥ 0.5×"]);
    console.log(`load against smtp-sink: mailchat ${mine.toFixed(0)} sessions/s vs smtp-source ${theirs.toFixed(0)} sessions/s = ${(mine / theirs).toFixed(2)}× (goal ≥ 0.5×)`);
    // What bounds it: the same sessions by a bare Node client, against smtp-source and against mailchat.
    const bare = join(dir, "bare-load.cjs");
    bareLoadClient(bare);
    const floor = await paired([process.execPath, [bare, String(port), String(sessions), String(concurrency)]], ["/usr/sbin/smtp-source", ["-s", String(concurrency), "-m", String(sessions), "-l", "1000", "-f", "a@bench.test", "-t", "b@bench.test", `127.0.0.1:${port}`]], 3);
    const bareRate = (sessions / floor.a) * 1000;
    const sourceRate = (sessions / floor.b) * 1000;
    rows.push([`floor: the same sessions by a bare Node client (sessions/s)`, `${bareRate.toFixed(0)}/s`, `smtp-source: ${sourceRate.toFixed(0)}/s`, `${(bareRate / sourceRate).toFixed(2)}×`, "what Node itself reaches"]);
    console.log(`load floor: a bare Node client ${bareRate.toFixed(0)} sessions/s vs smtp-source ${sourceRate.toFixed(0)} sessions/s = ${(bareRate / sourceRate).toFixed(2)}×`);
  } finally {
    sink.kill();
  }
}

/** The full submission session against a local Postfix, mailchat vs swaks (both from Debian). */
async function swaksVsPostfix(): Promise<void> {
  if (!existsSync("/usr/bin/swaks") || !existsSync("/usr/sbin/postfix") || process.getuid?.() !== 0) {
    console.log("full submission session vs swaks: skipped (needs root, swaks and Postfix, as .ci/run installs them)");
    return;
  }
  const { startMailServers, USERS } = await import(join(ROOT, "dist/test/interop/servers.js"));
  const servers = await startMailServers();
  try {
    const script = join(dir, "submit.mailchat");
    writeFileSync(script, ["param port", "param password", "connect submission://localhost:${port}", "expect 220", "send EHLO bench.test", "expect 250", "starttls", "send EHLO bench.test", "expect 250", "auth plain alice@mailchat.test ${password}", "expect 235", "send MAIL FROM:<alice@mailchat.test>", "expect 250", "send RCPT TO:<bob@mailchat.test>", "expect 250", "data", "Subject: bench", "", "hello", ".", "expect 250", "send QUIT", "expect 221", ""].join("\n"));
    const port = String(servers.ports.submission);
    const swaksArgs = ["--server", "localhost", "--port", port, "--tls", "--tls-ca-path", servers.caFile, "--auth", "PLAIN", "--auth-user", "alice@mailchat.test", "--auth-password", USERS.alice, "--from", "alice@mailchat.test", "--to", "bob@mailchat.test", "--header", "Subject: bench", "--body", "hello", "--silent", "2"];
    const run = await paired(
      [COMMAND, ["run", script, "--ca", servers.caFile, "--var", `port=${port}`, "--var", `password=${USERS.alice}`]],
      ["/usr/bin/swaks", swaksArgs],
      7,
    );
    row("full submission session (STARTTLS + AUTH PLAIN + DATA + QUIT) against Postfix", run.a, "swaks", run.b, "≤ 1.0×");
    // What bounds it: Node's start alone, against swaks's whole session.
    const nodeAlone = await paired([process.execPath, ["-e", "0"]], ["/usr/bin/swaks", swaksArgs], 7);
    row("floor: node -e 0 (Node's start, nothing run)", nodeAlone.a, "swaks, the whole session", nodeAlone.b, "what Node itself costs");
    // A suite: the same session as 20 scripts in one run, side by side, against 20 swaks runs.
    const suite = Array.from({ length: 20 }, (_, i) => join(dir, `submit-${i + 1}.mailchat`));
    for (const file of suite) writeFileSync(file, readFileSync(script));
    const swaks = `/usr/bin/swaks ${swaksArgs.map((arg) => `'${arg}'`).join(" ")}`;
    const twenty = await paired(
      [COMMAND, ["run", ...suite, "--jobs", "20", "--ca", servers.caFile, "--var", `port=${port}`, "--var", `password=${USERS.alice}`]],
      ["/bin/sh", ["-c", `for i in $(seq 20); do ${swaks} || exit 1; done`]],
      5,
    );
    row("20 such sessions as 20 scripts in one run (--jobs 20)", twenty.a, "20 swaks runs, one after another", twenty.b, "≤ 0.08×");
    row("the same 20 sessions in one run", twenty.a, "one session in one run", run.a, "near 1× when they run side by side");
  } finally {
    servers.stop();
  }
}

void main().then(
  () => spawnSync("rm", ["-rf", dir]),
  (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack}`);
    process.exitCode = 1;
  },
);
