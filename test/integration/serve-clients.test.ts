// Real mail clients complete a session against `mailchat serve` replaying a recording made by
// `mailchat run --golden --update` of the matching example: swaks, curl (smtp, imap, pop3),
// openssl s_client and Python's smtplib, imaplib and poplib, each with its own EHLO name,
// parameters, tags and message headers. Under CI=true a missing client fails; elsewhere its test is skipped.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { serveOnce, type Served } from "../helpers/serve.js";
import { REPO_ROOT } from "../helpers/paths.js";

const USER = "alice@mailchat.test";
const PASSWORD = "alice-sandbox-pw";
const dir = mkdtempSync(join(tmpdir(), "mailchat-clients-"));

async function record(example: string): Promise<string> {
  const script = join(dir, example);
  copyFileSync(join(REPO_ROOT, "examples", example), script);
  const result = await runCli(["run", "--sandbox", "--golden", "--update", script]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return `${script}.golden`;
}

function serve(golden: string, name: string): Promise<Served> {
  return serveOnce(golden, join(dir, `${name}-ca.pem`));
}

function client(command: string, args: string[], input?: string): { code: number | null; output: string } {
  const result = spawnSync(command, args, { input: input ?? "", timeout: 30_000, encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Whether a client program is installed; under CI=true its absence fails the test. */
function available(path: string, t: { skip(message: string): void }): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === "true") assert.fail(`${path} is missing: .ci/run installs it`);
  t.skip(`${path} is not installed`);
  return false;
}

async function against(golden: string, name: string, run: (served: Served) => { code: number | null; output: string }): Promise<void> {
  const served = await serve(golden, name);
  const result = run(served);
  const server = await served.exit;
  assert.equal(result.code, 0, `${name} failed:\n${result.output}\nserve said:\n${server.stdout}`);
  assert.equal(server.code, 0, `serve: ${server.stdout}\n${name} said:\n${result.output}`);
  assert.doesNotMatch(server.stdout, /diverged/);
}

describe("real clients against `mailchat serve`", () => {
  let submission: string;
  let allProtocols: string;
  let readBack: string;
  before(async () => {
    submission = await record("submission.mailchat");
    allProtocols = await record("all-protocols.mailchat");
    readBack = await record("read-back.mailchat");
  });

  test("swaks: STARTTLS, AUTH LOGIN, a message", async (t) => {
    if (!available("/usr/bin/swaks", t)) return;
    await against(submission, "swaks", (s) =>
      client("/usr/bin/swaks", ["--server", "localhost", "--port", String(s.port), "--tls", "--auth", "LOGIN", "--auth-user", USER, "--auth-password", PASSWORD, "--from", USER, "--to", "bob@mailchat.test", "--ehlo", "swaks.client.test", "--header", "Subject: from swaks", "--body", "hello"]),
    );
  });

  test("serve --record: swaks's own session becomes a golden transcript, its password masked", async (t) => {
    if (!available("/usr/bin/swaks", t)) return;
    const recording = join(dir, "swaks-recorded.golden");
    const served = await serveOnce(submission, join(dir, "record-ca.pem"), 60_000, ["--record", recording]);
    const result = client("/usr/bin/swaks", ["--server", "localhost", "--port", String(served.port), "--tls", "--auth", "LOGIN", "--auth-user", USER, "--auth-password", PASSWORD, "--from", USER, "--to", "bob@mailchat.test", "--ehlo", "recorded.swaks.test", "--header", "Subject: recorded", "--body", "hello"]);
    const server = await served.exit;
    assert.equal(result.code, 0, result.output);
    assert.equal(server.code, 0, server.stdout);
    assert.match(server.stdout, /recorded 1 client session in /);
    const golden = readFileSync(recording, "utf8");
    assert.match(golden, /^\*: connect submission:\/\/localhost:587$/m);
    assert.match(golden, /^C: EHLO recorded\.swaks\.test$/m);
    assert.match(golden, /^\*: tls TLSv1\.[23] \S+$/m);
    assert.match(golden, /^C: Subject: recorded$/m);
    assert.match(golden, /^S: 221 /m);
    assert.ok(!golden.includes(Buffer.from(PASSWORD).toString("base64")) && !golden.includes(PASSWORD), "the password reached the recording");
    // What a client really did is a golden transcript like any other: serve can play it back.
    const again = await serveOnce(recording, join(dir, "again-ca.pem"));
    const replay = client("/usr/bin/swaks", ["--server", "localhost", "--port", String(again.port), "--tls", "--auth", "LOGIN", "--auth-user", USER, "--auth-password", PASSWORD, "--from", USER, "--to", "bob@mailchat.test", "--ehlo", "recorded.swaks.test", "--header", "Subject: recorded", "--body", "hello"]);
    assert.equal(replay.code, 0, replay.output);
    assert.equal((await again.exit).code, 0);
  });

  test("curl: smtp with STARTTLS, AUTH LOGIN, upload", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    const message = join(dir, "curl-message.txt");
    writeFileSync(message, "From: <alice@mailchat.test>\r\nTo: <bob@mailchat.test>\r\nSubject: from curl\r\n\r\nhello\r\n");
    await against(submission, "curl", (s) =>
      client("/usr/bin/curl", ["--silent", "--show-error", "--ssl-reqd", "--cacert", s.ca, `smtp://localhost:${s.port}`, "--login-options", "AUTH=LOGIN", "--user", `${USER}:${PASSWORD}`, "--mail-from", USER, "--mail-rcpt", "bob@mailchat.test", "--upload-file", message]),
    );
  });

  test("curl: smtp upload, then imap and pop3 with STARTTLS fetch the message back", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    const message = join(dir, "curl-read-back.txt");
    writeFileSync(message, "From: <alice@mailchat.test>\r\nTo: <alice@mailchat.test>\r\nSubject: from curl\r\n\r\nhello\r\n");
    await against(readBack, "curl-imap-pop3", (s) => {
      const common = ["--silent", "--show-error", "--ssl-reqd", "--cacert", s.ca, "--user", `${USER}:${PASSWORD}`];
      const smtp = client("/usr/bin/curl", [...common, `smtp://localhost:${s.port}`, "--login-options", "AUTH=LOGIN", "--mail-from", USER, "--mail-rcpt", USER, "--upload-file", message]);
      if (smtp.code !== 0) return smtp;
      const imap = client("/usr/bin/curl", [...common, `imap://localhost:${s.port}/INBOX;MAILINDEX=1`]);
      if (imap.code !== 0 || !/Subject: read back/.test(imap.output)) return { code: imap.code || 1, output: `imap: ${imap.output}` };
      const pop3 = client("/usr/bin/curl", [...common, `pop3://localhost:${s.port}/1`, "--login-options", "AUTH=LOGIN"]);
      if (!/Subject: read back/.test(pop3.output)) return { code: pop3.code || 1, output: `pop3: ${pop3.output}` };
      return pop3;
    });
  });

  test("openssl s_client -starttls smtp, typed as a knowledge-base article does", async (t) => {
    if (!available("/usr/bin/openssl", t)) return;
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    // Typed with bare line ends, as in a terminal; -crlf makes them CRLF.
    const typed = ["EHLO client.test", "AUTH LOGIN", b64(USER), b64(PASSWORD), `MAIL FROM:<${USER}>`, "RCPT TO:<bob@mailchat.test>", "DATA", "Subject: typed", "", "hello", ".", "QUIT", ""].join("\n");
    await against(submission, "s_client", (s) => {
      const result = client("/usr/bin/openssl", ["s_client", "-starttls", "smtp", "-connect", `localhost:${s.port}`, "-CAfile", s.ca, "-quiet", "-crlf", "-verify_return_error"], typed);
      // s_client ends when the server closes after QUIT; its status reflects only that.
      return { code: /221/.test(result.output) ? 0 : 1, output: result.output };
    });
  });

  test("Python smtplib, imaplib and poplib: submission, IMAP and POP3 with STARTTLS", async (t) => {
    const python = ["/usr/bin/python3", "/usr/local/bin/python3"].find((path) => existsSync(path));
    if (!python) {
      if (process.env.CI === "true") assert.fail("python3 is missing: .ci/run installs it");
      return t.skip("python3 is not installed");
    }
    const program = join(dir, "clients.py");
    writeFileSync(
      program,
      `import imaplib, poplib, smtplib, ssl, sys
port, ca, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
context = ssl.create_default_context(cafile=ca)
with smtplib.SMTP("localhost", port) as smtp:
    smtp.ehlo()
    smtp.starttls(context=context)
    smtp.ehlo()
    # The recording logged in with AUTH PLAIN; smtplib would pick CRAM-MD5 first.
    smtp.user, smtp.password = user, password
    smtp.auth("PLAIN", smtp.auth_plain)
    smtp.quit()
imap = imaplib.IMAP4("localhost", port)
imap.starttls(ssl_context=context)
imap.login(user, password)
imap.select("INBOX")
imap.logout()
pop = poplib.POP3("localhost", port)
pop.stls(context=context)
pop.user(user)
pop.pass_(password)
pop.stat()
pop.quit()
print("done")
`,
    );
    await against(allProtocols, "python", (s) => client(python, [program, String(s.port), s.ca, USER, PASSWORD]));
  });
});
