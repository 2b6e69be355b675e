// bin/mailchat starts Node from the start-up snapshot that `npm run build` made
// (scripts/snapshot.ts) when it was made by the very `node` on PATH, and otherwise runs
// bin/mailchat.cjs as it is; either way the command answers alike. Which way it went is read
// from the running process's command line (the shell execs Node, so the pid is the same).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

const LAUNCHER = join(REPO_ROOT, "bin/mailchat");
const BLOB = join(REPO_ROOT, "dist/snapshot/mailchat.blob");
const built = existsSync(BLOB) && existsSync(join(REPO_ROOT, "dist/snapshot/node"));
const skip = !built ? "no snapshot was made by this build (scripts/snapshot.ts says why)" : process.platform !== "linux" ? "reads /proc" : false;

/** Runs a one-session script through `command` against a local server; whether Node was started from a snapshot. */
async function startedFromSnapshot(command: string, env: Record<string, string> = {}): Promise<boolean> {
  let cmdline = "";
  let child: ReturnType<typeof spawn> | undefined;
  const server = createServer((socket) => {
    // The command is connected, so running: its command line is Node's own by now.
    cmdline = readFileSync(`/proc/${child!.pid}/cmdline`, "utf8");
    socket.write("220 ready\r\n");
    socket.on("data", () => socket.end("221 bye\r\n"));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const script = join(mkdtempSync(join(tmpdir(), "mailchat-snapshot-")), "one.mailchat");
  writeFileSync(script, `connect smtp://127.0.0.1:${(server.address() as { port: number }).port}\nexpect 220\nsend QUIT\nexpect 221\n`);
  try {
    const code = await new Promise<number | null>((done) => {
      child = spawn(command, ["run", script], { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env }, stdio: "ignore" });
      child.on("close", done);
    });
    assert.equal(code, 0);
  } finally {
    server.close();
  }
  assert.ok(cmdline.includes("mailchat.cjs"), cmdline);
  return cmdline.split("\0").includes("--snapshot-blob");
}

test("the installed command starts from the snapshot and answers as bin/mailchat.cjs does", { skip }, async () => {
  assert.equal(await startedFromSnapshot(LAUNCHER), true);
  const dir = mkdtempSync(join(tmpdir(), "mailchat-snapshot-"));
  const bad = join(dir, "bad.mailchat");
  writeFileSync(bad, "connect smtp://localhost\nsned EHLO x\n");
  for (const args of [["check", "examples/first.mailchat"], ["check", bad], ["--help"], ["check", "--help"], ["--version"], ["check", "--no-such-option"], ["recipes", "list"]]) {
    const snapshot = await runCli(args, { command: LAUNCHER });
    const plain = await runCli(args);
    assert.deepEqual([snapshot.code, snapshot.stdout, snapshot.stderr], [plain.code, plain.stdout, plain.stderr], args.join(" "));
  }
});

/**
 * A copy of the command's files in a new directory, its snapshot the build's (or `blob`, written
 * now, as a damaged one would be); its stamp names
 * `node` (the build's by default) and carries that binary's modification time unless `touched`.
 */
function install(options: { node?: string; touched?: boolean; blob?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "mailchat-install-"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "dist/snapshot"), { recursive: true });
  for (const file of ["mailchat", "mailchat.cjs"]) copyFileSync(join(REPO_ROOT, "bin", file), join(root, "bin", file));
  copyFileSync(join(REPO_ROOT, "package.json"), join(root, "package.json"));
  symlinkSync(join(REPO_ROOT, "dist/src"), join(root, "dist/src"));
  if (options.blob !== undefined) writeFileSync(join(root, "dist/snapshot/mailchat.blob"), options.blob);
  else symlinkSync(BLOB, join(root, "dist/snapshot/mailchat.blob"));
  const made = readFileSync(join(REPO_ROOT, "dist/snapshot/node"), "utf8").trim();
  const stamp = join(root, "dist/snapshot/node");
  writeFileSync(stamp, `${options.node ?? made}\n`);
  if (options.touched) utimesSync(stamp, new Date(), new Date(Date.now() - 60_000));
  else assert.equal(spawnSync("touch", ["-r", made, stamp]).status, 0);
  // As npm links it: node_modules/.bin/mailchat -> ../mailchat/bin/mailchat.
  const link = join(root, "mailchat-link");
  symlinkSync(join(root, "bin/mailchat"), link);
  return link;
}

test("a snapshot made elsewhere is started from, but its warm CLI is not used: the command answers as without it", { skip }, async () => {
  const command = install();
  assert.equal(await startedFromSnapshot(command), true);
  const moved = await runCli(["check", "examples/first.mailchat"], { command });
  const plain = await runCli(["check", "examples/first.mailchat"]);
  assert.deepEqual([moved.code, moved.stdout, moved.stderr], [plain.code, plain.stdout, plain.stderr]);
});

test("a blob written after the build (damaged, cut short, another's) is not started from: the command answers as without it", { skip }, async () => {
  for (const blob of ["garbage", readFileSync(BLOB).subarray(0, 100_000).toString("latin1")]) {
    const command = install({ blob });
    assert.equal(await startedFromSnapshot(command), false);
    const damaged = await runCli(["check", "examples/first.mailchat"], { command });
    const plain = await runCli(["check", "examples/first.mailchat"]);
    assert.deepEqual([damaged.code, damaged.stdout, damaged.stderr], [plain.code, plain.stdout, plain.stderr]);
  }
});

test("no snapshot for a node that is not the one it was made with, under NODE_OPTIONS, or with MAILCHAT_SNAPSHOT=0", { skip }, async () => {
  assert.equal(await startedFromSnapshot(install({ touched: true })), false, "the node binary's modification time differs from the stamp's");
  assert.equal(await startedFromSnapshot(install({ node: "/usr/local/bin/another-node" })), false, "the stamp names another binary");
  const unstamped = install();
  rmSync(join(unstamped, "../dist/snapshot/node"));
  assert.equal(await startedFromSnapshot(unstamped), false, "no stamp: a build that could not finish it");
  const quiet = await runCli(["--help"], { command: unstamped });
  assert.deepEqual([quiet.code, quiet.stderr], [0, ""], "and nothing said about it");
  assert.equal(await startedFromSnapshot(LAUNCHER, { NODE_OPTIONS: "--no-warnings" }), false);
  assert.equal(await startedFromSnapshot(LAUNCHER, { MAILCHAT_SNAPSHOT: "0" }), false);
});
