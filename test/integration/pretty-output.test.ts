// Standard output: the pretty transcript gathered within a turn of the event loop
// (src/cli/batched-output.ts), yet shown as the session goes, whole and in order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { CLI, REPO_ROOT } from "../helpers/paths.js";
import { onClientLines, startRawServer, type RawServer } from "../helpers/raw-server.js";

/** The server of held-reply.mailchat: it answers EHLO at once and NOOP only once released. */
async function heldReplyServer(): Promise<{ server: RawServer; release: () => void }> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((done) => (release = done));
  const server = await startRawServer((socket) => {
    socket.write("220 stream.test ESMTP\r\n");
    onClientLines(socket, (line) => {
      if (line.startsWith("EHLO")) socket.write("250 stream.test at your service\r\n");
      else if (line === "NOOP") void held.then(() => socket.write("250 2.0.0 done\r\n"));
      else if (line === "QUIT") socket.end("221 2.0.0 bye\r\n");
    });
  });
  return { server, release };
}

test("a reply is on standard output while the server still holds the next one", async () => {
  const { server, release } = await heldReplyServer();
  try {
    const child = spawn(process.execPath, [CLI, "run", "test/fixtures/streaming/held-reply.mailchat", "--var", `port=${server.port}`], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const sawEhlo = new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 10_000);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("S: 250 stream.test at your service")) {
          clearTimeout(timer);
          done(true);
        }
      });
    });
    const exited = new Promise<number | null>((done) => child.on("close", done));
    assert.equal(await sawEhlo, true, `the EHLO reply was not shown before the NOOP's reply came:\n${stdout}`);
    assert.doesNotMatch(stdout, /2\.0\.0 done/);
    release();
    assert.equal(await exited, 0);
    assert.match(stdout, /S: 250 2\.0\.0 done\n[\s\S]*S: 221 2\.0\.0 bye/);
  } finally {
    release();
    await server.close();
  }
});

test("a 2,000-reply transcript arrives whole and in order", async () => {
  const server = await startRawServer((socket) => {
    socket.write("220 many.test ESMTP\r\n");
    let n = 0;
    onClientLines(socket, (line) => {
      if (line === "QUIT") socket.end("221 bye\r\n");
      else socket.write(`250 reply ${n++}\r\n`);
    });
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), "mailchat-stream-"));
    const script = join(dir, "many.mailchat");
    const body = ["param port", "connect smtp://127.0.0.1:${port}", "expect 220"];
    for (let i = 0; i < 2000; i++) body.push("send NOOP", "expect 250");
    body.push("send QUIT", "expect 221");
    writeFileSync(script, `${body.join("\n")}\n`);
    const result = await runCli(["run", script, "--var", `port=${server.port}`], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const replies = [...result.stdout.matchAll(/^S: 250 reply (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(replies, Array.from({ length: 2000 }, (_, i) => i));
    assert.match(result.stdout, /S: 221 bye\n[\s\S]*4004 steps passed/);
  } finally {
    await server.close();
  }
});

test("standard output that cannot be written (a full disk) is one line on stderr and exit 74, never a stack", { skip: !existsSync("/dev/full") && "no /dev/full here" }, async () => {
  const full = openSync("/dev/full", "w");
  try {
    for (const args of [["--version"], ["check", "examples/first.mailchat"], ["run", "--sandbox", "examples/first.mailchat"]]) {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" }, stdio: ["ignore", full, "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.on("close", done));
      assert.equal(code, 74, `${args[0]}: ${stderr}`);
      assert.match(stderr, /^mailchat: cannot write to standard output \(ENOSPC\); the report is incomplete\.\n$/);
    }
  } finally {
    closeSync(full);
  }
});

test("a --report-NAME file that cannot be written: before the run, exit 2 and nothing sent; at its end, one line and exit 74, the process gone", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-report-"));
  const early = await runCli(["run", "--sandbox", "examples/first.mailchat", "--report-json", join(dir, "missing", "r.json")]);
  assert.equal(early.code, 2);
  assert.match(early.stderr, /^mailchat: --report-json .*missing\/r\.json: its directory does not exist; nothing was sent\n$/);
  assert.equal(early.stdout, "");
  const asDirectory = await runCli(["run", "--sandbox", "examples/first.mailchat", "--report-junit", dir]);
  assert.equal(asDirectory.code, 2);
  assert.match(asDirectory.stderr, /a directory, not a file; nothing was sent/);

  // The directory goes away while the server holds its reply: the report cannot be written.
  const { server, release } = await heldReplyServer();
  try {
    const gone = join(dir, "gone");
    mkdirSync(gone);
    const late = runCli(["run", "test/fixtures/streaming/held-reply.mailchat", "--var", `port=${server.port}`, "--report-json", join(gone, "r.json")]);
    await new Promise((done) => setTimeout(done, 1_000));
    rmSync(gone, { recursive: true });
    release();
    const result = await late;
    assert.equal(result.code, 74, result.stderr);
    assert.match(result.stdout, /S: 221 2\.0\.0 bye/);
    assert.match(result.stderr, /^mailchat: cannot write the report .*gone\/r\.json: .*; the run itself is reported above\n$/);
  } finally {
    release();
    await server.close();
  }
});
