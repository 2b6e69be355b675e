// `mailchat shell` through a pipe, as another tool or a test drives it: each folder of
// test/fixtures/shell holds the command line, the lines typed, what the user sees
// (expected.out) and the script saved (expected.mailchat); the saved script is then run with
// `mailchat run` against the same server and must pass. Values that change from run to run
// (ports, times, queue ids, the recording's date) are masked before comparing.
// MAILCHAT_UPDATE_FIXTURES=1 rewrites the expected files.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";
import { onClientLines, startRawServer, type RawServer } from "../helpers/raw-server.js";
import { maskShellOutput } from "../helpers/shell.js";

const DIR = join(FIXTURES, "shell");
const update = process.env.MAILCHAT_UPDATE_FIXTURES === "1";
const PASSWORDS: Record<string, string> = { alice: "alice-sandbox-pw", carol: "carol-pw" };

/** nodemailer's smtp-server, taking carol's password on a plaintext connection. */
function startSmtpServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    name: "mx.shell.test",
    disableReverseLookup: true,
    hideSTARTTLS: true,
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "carol" && auth.password === PASSWORDS.carol) callback(null, { user: "carol" });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => callback());
    },
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolvePromise({ port: (server.server.address() as { port: number }).port, close: () => new Promise((done) => server.close(() => done())) }));
  });
}

/** A server whose greeting tries to clear the screen and forge a line of the transcript. */
function startHostileServer(): Promise<RawServer> {
  return startRawServer((socket: Socket) => {
    socket.write("220-mx.example \x1b[2J\x1b[1;1H\r\n220 \rC: AUTH PLAIN forged\x07\r\n");
    onClientLines(socket, (line) => {
      if (/^QUIT/i.test(line)) socket.end("221 bye\r\n");
      else socket.write("250 ok\r\n");
    });
  });
}

const servers: { smtp?: { port: number; close: () => Promise<void> }; hostile?: RawServer } = {};
before(async () => {
  servers.smtp = await startSmtpServer();
  servers.hostile = await startHostileServer();
});
after(async () => {
  await servers.smtp?.close();
  await servers.hostile?.close();
});

function portFor(server: string | undefined): number | undefined {
  if (server === "smtp-server") return servers.smtp!.port;
  if (server === "hostile") return servers.hostile!.port;
  return undefined;
}

function expectFile(path: string, actual: string): void {
  if (update || !existsSync(path)) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, "utf8"), `${path} differs`);
}

describe("a session typed through a pipe", () => {
  for (const name of readdirSync(DIR).sort()) {
    const folder = join(DIR, name);
    test(name, async () => {
      const serverFile = join(folder, "server");
      const port = portFor(existsSync(serverFile) ? readFileSync(serverFile, "utf8").trim() : undefined);
      const args = readFileSync(join(folder, "command"), "utf8").trim().replace("{port}", String(port)).split(/\s+/);
      const saved = join(mkdtempSync(join(tmpdir(), "mailchat-shell-")), "saved.mailchat");
      const shell = await runCli(["shell", ...args, "--save", saved, "--no-history"], { input: readFileSync(join(folder, "typed.txt"), "utf8"), timeoutMs: 60_000 });
      const expectedExit = existsSync(join(folder, "expected.exit")) ? Number(readFileSync(join(folder, "expected.exit"), "utf8")) : 0;
      assert.equal(shell.code, expectedExit, shell.stdout + shell.stderr);
      assert.equal(shell.stderr, "");
      // The sandbox's banner names its users' passwords (they are public); nothing else may.
      const shown = shell.stdout.replace(/^\*: sandbox: .*\n/, "");
      for (const password of Object.values(PASSWORDS)) assert.ok(!shown.includes(password), `the password ${password} was shown`);
      expectFile(join(folder, "expected.out"), maskShellOutput(shell.stdout, port, saved));
      const script = readFileSync(saved, "utf8");
      for (const password of Object.values(PASSWORDS)) assert.ok(!script.includes(password), `the password ${password} was saved`);
      expectFile(join(folder, "expected.mailchat"), maskShellOutput(script, port, saved));
      // The script recorded runs green against the same server.
      const runArgs = ["run", saved, ...args.filter((a) => a.startsWith("--"))];
      const user = /auth \w+ (\w+)|(?:USER|LOGIN) (\w+)/.exec(script);
      const password = PASSWORDS[user?.[1] ?? user?.[2] ?? ""] ?? "";
      const run = await runCli(runArgs, { env: { MAILCHAT_PASSWORD: password }, timeoutMs: 60_000 });
      assert.equal(run.code, 0, `the saved script did not run green:\n${script}\n${run.stdout}${run.stderr}`);
    });
  }
});

test("--save into a missing directory is refused before anything is sent; :save there says why and the session goes on", async () => {
  const missing = join(mkdtempSync(join(tmpdir(), "mailchat-shell-")), "missing", "s.mailchat");
  const refused = await runCli(["shell", "--sandbox", "submission://localhost", "--save", missing, "--no-history"], { input: "EHLO x\nQUIT\n" });
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr, `mailchat: --save ${missing}: its directory does not exist; nothing was sent\n`);
  assert.doesNotMatch(refused.stdout, /connect/);
  const typed = await runCli(["shell", "--sandbox", "submission://localhost", "--no-history"], { input: `EHLO x\n:save ${missing}\nQUIT\n` });
  assert.match(typed.stdout, new RegExp(`\\*: cannot save ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: its directory does not exist\\n`));
  assert.match(typed.stdout, /S: 221 /);
});

test("a server that floods replies nobody asked for while the prompt waits is dropped, said so, and the session exits 1 as run does", async () => {
  const server = await startRawServer((socket: Socket) => {
    socket.write("220 flood ESMTP\r\n");
    socket.once("data", () => {
      socket.write("250 hello\r\n");
      socket.write("250 more\r\n".repeat(5_000));
    });
  });
  try {
    const shell = await runCli(["shell", `smtp://127.0.0.1:${server.port}`, "--no-history"], { input: "EHLO me\n", timeoutMs: 30_000 });
    assert.equal(shell.code, 1, shell.stdout + shell.stderr);
    assert.match(shell.stdout, /\*: mailchat dropped the connection: .*replies that no command asked for/);
  } finally {
    await server.close();
  }
});

test("a reply cut off by the server's close shows the lines that came, says so, and exits 1", async () => {
  const server = await startRawServer((socket: Socket) => {
    socket.write("220 cut ESMTP\r\n");
    socket.once("data", () => socket.end("250-first\r\n250-par"));
  });
  try {
    const shell = await runCli(["shell", `smtp://127.0.0.1:${server.port}`, "--no-history"], { input: "EHLO me\n" });
    assert.equal(shell.code, 1, shell.stdout + shell.stderr);
    assert.match(shell.stdout, /S: 250-first\nS: 250-par\n\*: the server closed the connection in the middle of a reply: the lines above are all it sent\n/);
  } finally {
    await server.close();
  }
});
