// `scheme:///path`: a connection to a UNIX-domain socket, against nodemailer's smtp-server
// listening on one (LMTP, and SMTPS with the certificate checked against `servername`), and
// each way connecting to a socket fails, with its message and hint.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { runCli } from "../helpers/cli.js";
import { CLI, FIXTURES } from "../helpers/paths.js";

const fixture = (name: string) => join(FIXTURES, "sockets", `${name}.mailchat`);

function listen(server: SMTPServer, path: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.server.once("error", reject);
    server.listen(path, () => resolvePromise());
  });
}

describe("UNIX sockets", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-sockets-"));
  const lmtpPath = join(dir, "lmtp");
  const smtpsPath = join(dir, "smtps socket");
  const certs = generateCertificates({ hosts: ["localhost"] });
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, certs.caPem);
  const delivered: string[] = [];
  const lmtp = new SMTPServer({
    lmtp: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let text = "";
      stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
      stream.on("end", () => {
        delivered.push(text);
        callback(null, session.envelope.rcptTo.map((r) => `<${r.address}> delivered`) as unknown as string);
      });
    },
  });
  const smtps = new SMTPServer({ secure: true, key: certs.keyPem, cert: certs.certPem, disabledCommands: ["AUTH"], logger: false });

  before(async () => {
    await listen(lmtp, lmtpPath);
    await listen(smtps, smtpsPath);
  });
  after(async () => {
    await new Promise<void>((resolvePromise) => lmtp.close(() => resolvePromise()));
    await new Promise<void>((resolvePromise) => smtps.close(() => resolvePromise()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("LMTP over a socket: LHLO, MAIL, RCPT, DATA, one reply per recipient; the transcript names the socket", async () => {
    const result = await runCli(["run", fixture("lmtp-socket"), "--var", `host=${lmtpPath}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`\\*: connect lmtp://${lmtpPath} \\(lmtp\\)\\n\\*: connected to ${lmtpPath} in \\d+ ms\\n`));
    assert.equal(delivered.length, 1);
    assert.match(delivered[0]!, new RegExp(`Subject: over a socket\\r\\n\\r\\nhello through ${lmtpPath}`));
  });

  test("a targets file may name sockets as hosts", async () => {
    const targets = join(dir, "targets.txt");
    writeFileSync(targets, `${lmtpPath}\nhost=${lmtpPath}\n`);
    const result = await runCli(["run", fixture("lmtp-socket"), "--targets", targets, "--reporter", "jsonl"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const records = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { status: string });
    assert.deepEqual(records.map((r) => r.status), ["pass", "pass"]);
  });

  test("implicit TLS over a socket whose path holds a space: verified against `servername`", async () => {
    const result = await runCli(["run", fixture("smtps-socket"), "--var", `socket=${smtpsPath}`, "--ca", caFile]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`\\*: connect smtps://${dir}/smtps%20socket \\(smtp, implicit TLS\\)`));
    assert.match(result.stdout, /\*: cert .*verified/);
  });

  const failures: Array<{ what: string; path: () => string; message: RegExp; hint: RegExp }> = [
    { what: "no file at the path", path: () => join(dir, "missing", "lmtp"), message: /cannot connect: no socket at \S+\/missing\/lmtp\n/, hint: /hint: nothing is at \S+\/missing\/lmtp: the server is not running, or its socket is elsewhere .*`ls -l \S+\/missing`/ },
    { what: "a file that is no socket", path: () => caFile, message: /cannot connect: \S+\/ca\.pem is not a socket\n/, hint: /hint: \S+ exists but is not a socket/ },
    {
      what: "a stale socket nobody accepts on",
      path: () => {
        const stale = join(dir, "stale");
        spawnSync("python3", ["-c", `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(stale)})`]);
        return stale;
      },
      message: /cannot connect: connection to the socket \S+\/stale refused\n/,
      hint: /hint: \S+\/stale is a socket, but no server accepts on it: a stale socket/,
    },
  ];
  for (const failure of failures) {
    test(`connecting to ${failure.what} fails with exit 3, a one-line reason and a hint`, async () => {
      const result = await runCli(["run", fixture("greeting"), "--var", `socket=${failure.path()}`]);
      assert.equal(result.code, 3, result.stdout + result.stderr);
      assert.match(result.stdout, failure.message);
      assert.match(result.stdout, /cause: no server listens on that socket, or its path or permissions are wrong/);
      assert.match(result.stdout, failure.hint);
      assert.equal(result.stderr, "");
    });
  }

  test("permission denied on a socket (run as an unprivileged user)", { skip: process.getuid?.() !== 0 && "needs root to run the CLI as another user" }, () => {
    const locked = join(dir, "locked");
    chmodSync(dir, 0o755);
    return (async () => {
      const server = new SMTPServer({ disabledCommands: ["AUTH", "STARTTLS"], logger: false });
      await listen(server, locked);
      chmodSync(locked, 0o600);
      try {
        const result = spawnSync(process.execPath, [CLI, "run", fixture("greeting"), "--var", `socket=${locked}`], { uid: 65534, gid: 65534, encoding: "utf8", env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", HOME: "/tmp" }, timeout: 30_000 });
        assert.equal(result.status, 3, result.stdout + result.stderr);
        assert.match(result.stdout, /cannot connect: permission denied on the socket \S+\/locked\n/);
        assert.match(result.stdout, /hint: this user may not connect to \S+\/locked: connecting needs write permission on the socket/);
      } finally {
        await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      }
    })();
  });
});
