// `mailchat shell` on a real terminal: a pseudo-terminal (python3's pty module,
// test/helpers/pty-driver.py) types into the bundled CLI as a person would — the prompt, tab
// completion, a password that is not echoed, the history kept in the cache directory without
// the lines that log in, Ctrl-C — against the sandbox, and the script saved runs green.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { CLI, REPO_ROOT } from "../helpers/paths.js";

const PASSWORD = "alice-sandbox-pw";

interface Typing {
  /** Wait until the output matches this (a regex source), then type `send`. */
  wait: string;
  send: string;
}

function typeInto(args: string[], steps: Typing[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const spec = join(mkdtempSync(join(tmpdir(), "mailchat-pty-")), "spec.json");
  writeFileSync(spec, JSON.stringify({ command: [process.execPath, CLI, ...args], env: { TERM: "xterm", ...env }, steps }));
  return new Promise((resolvePromise, reject) => {
    const child = spawn("python3", [join(REPO_ROOT, "test", "helpers", "pty-driver.py"), spec], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the pty session did not end:\n${output}`));
    }, 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

/** Terminal output without colour and cursor control, for matching. */
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");

test("a session typed on a terminal: prompt, completion, hidden password, history without secrets; the saved script runs green", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-cache-"));
  const saved = join(cache, "typed.mailchat");
  const prompt = "smtp> ";
  const { code, output } = await typeInto(
    ["shell", "--sandbox", "submission://localhost", "--save", saved],
    [
      // EH<Tab> completes the protocol's command.
      { wait: prompt, send: "EH\t" },
      { wait: "EHLO", send: " tty.example\r" },
      { wait: `250 SIZE[\\s\\S]*?${prompt}`, send: "starttls\r" },
      { wait: `250 SIZE[\\s\\S]*?${prompt}`, send: "auth plain alice@mailchat.test\r" },
      { wait: "password: ", send: `${PASSWORD}\r` },
      { wait: `235 [\\s\\S]*?${prompt}`, send: "MAIL FROM:<alice@mailchat.test>\r" },
      { wait: `250 2\\.1\\.0[\\s\\S]*?${prompt}`, send: "RCPT TO:<bob@mailchat.test>\r" },
      { wait: `250 2\\.1\\.5[\\s\\S]*?${prompt}`, send: "data\r" },
      { wait: "\\.\\.\\. ", send: "Subject: private\r\rthe body is not history\r.\r" },
      { wait: `queued as [\\s\\S]*?${prompt}`, send: "QUIT\r" },
    ],
    { MAILCHAT_CACHE_DIR: cache },
  );
  const shown = plain(output);
  assert.equal(code, 0, shown);
  assert.match(output, /\x1b\[/, "a terminal gets colour");
  assert.match(shown, /smtp> EHLO tty\.example\n/);
  assert.match(shown, /C: EHLO tty\.example\n/);
  assert.match(shown, /smtp> auth plain alice@mailchat\.test\npassword: \n/);
  assert.match(shown, /C: AUTH PLAIN \*{8}\nS: 235 2\.7\.0/);
  // The sandbox's banner names its users' passwords (they are public); nothing after it may.
  assert.ok(!output.replace(/^[^\n]*\*: sandbox: [^\n]*\n/, "").includes(PASSWORD.slice(0, 8)), "the password is not echoed nor shown");
  // The history keeps the commands, never the line that logs in nor the password.
  const history = readFileSync(join(cache, "shell-history"), "utf8");
  assert.match(history, /^QUIT\ndata\nRCPT TO:<bob@mailchat\.test>\nMAIL FROM:<alice@mailchat\.test>\nstarttls\nEHLO tty\.example\n$/);
  const script = readFileSync(saved, "utf8");
  assert.match(script, /^auth plain alice@mailchat\.test \$\{env\.MAILCHAT_PASSWORD\}$/m);
  assert.match(script, /^send EHLO tty\.example\nexpect 250 capability STARTTLS\nstarttls\n/m);
  const run = await runCli(["run", "--sandbox", saved], { env: { MAILCHAT_PASSWORD: PASSWORD } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
});

test("the history of an earlier session is recalled with the up arrow", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-cache-"));
  writeFileSync(join(cache, "shell-history"), "NOOP\nEHLO from.history\n");
  const { code, output } = await typeInto(
    ["shell", "--sandbox", "smtp://localhost"],
    [
      { wait: "smtp> ", send: "\x1b[A\x1b[A\r" },
      { wait: "250 SIZE[\\s\\S]*?smtp> ", send: "\x04" },
    ],
    { MAILCHAT_CACHE_DIR: cache, NO_COLOR: "1" },
  );
  assert.equal(code, 0, output);
  assert.match(plain(output), /C: EHLO from\.history\n/);
  assert.doesNotMatch(output, /\x1b\[3\dm/, "NO_COLOR: no colour on a terminal");
});

test("Ctrl-C drops the connection and exits 130, saving what was typed", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-cache-"));
  const saved = join(cache, "interrupted.mailchat");
  const { code, output } = await typeInto(
    ["shell", "--sandbox", "smtp://localhost", "--save", saved],
    [
      { wait: "smtp> ", send: "EHLO me\r" },
      { wait: "250 SIZE[\\s\\S]*?smtp> ", send: "\x03" },
    ],
    { MAILCHAT_CACHE_DIR: cache },
  );
  assert.equal(code, 130, output);
  assert.match(plain(output), /interrupted: the connection is dropped/);
  assert.match(readFileSync(saved, "utf8"), /^send EHLO me\nexpect 250$/m);
});

test("a password typed ahead of its prompt, or pasted with the auth line, is not echoed either", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-cache-"));
  const { code, output } = await typeInto(
    ["shell", "--sandbox", "submission://localhost"],
    [
      { wait: "smtp> ", send: "EHLO tty.example\r" },
      { wait: "250 SIZE[\\s\\S]*?smtp> ", send: "starttls\r" },
      // The line and the password in one go, as a paste or fast typing gives them.
      { wait: "250 SIZE[\\s\\S]*?smtp> ", send: `auth plain alice@mailchat.test\r${PASSWORD}\r` },
      { wait: "235 [\\s\\S]*?smtp> ", send: "QUIT\r" },
    ],
    { MAILCHAT_CACHE_DIR: cache, NO_COLOR: "1" },
  );
  assert.equal(code, 0, output);
  assert.match(plain(output), /C: AUTH PLAIN \*{8}\nS: 235 2\.7\.0/);
  assert.ok(!output.replace(/^[^\n]*\*: sandbox: [^\n]*\n/, "").includes(PASSWORD.slice(0, 8)), `the password typed ahead is not echoed:\n${output}`);
  // The next line typed is echoed again.
  assert.match(plain(output), /smtp> QUIT\n/);
});
