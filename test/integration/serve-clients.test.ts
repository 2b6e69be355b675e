// Real mail clients complete a session against `mailchat serve` replaying a recording made by
// `mailchat run --golden --update` of the matching example: swaks, curl (smtp, imap, pop3),
// openssl s_client and Python's smtplib, imaplib and poplib, each with its own EHLO name,
// parameters, tags and message headers; then the same clients, and msmtp, against recordings
// made by other scripts (examples/first and recipes), choosing their own login forms and
// asking their own capability questions; s-nail (submission) and fetchmail (POP3) only there. Under CI=true a missing client fails; elsewhere its
// test is skipped.
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

/** A Python client program, written beside the recordings. */
function pythonFile(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

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

function client(command: string, args: string[], input?: string, env?: Record<string, string>): { code: number | null; output: string } {
  const result = spawnSync(command, args, { input: input ?? "", timeout: 30_000, encoding: "utf8", env: env ? { ...process.env, ...env } : process.env });
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
    const program = pythonFile("clients.py", `import imaplib, poplib, smtplib, ssl, sys
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
`);
    await against(allProtocols, "python", (s) => client(python, [program, String(s.port), s.ca, USER, PASSWORD]));
  });
});

// The issue a new user met: a recording made by one script (an example or a recipe, not a
// script tailored to the client), then a real client pointed at it. Each client picks its own
// login form and asks its own capability questions; serve answers them from the recording.
describe("real clients against recordings made by the examples and recipes", () => {
  const recordings: Record<string, string> = {};
  before(async () => {
    for (const [name, folder] of [
      ["first.mailchat", "examples"],
      ["imap-login.mailchat", "recipes"],
      ["pop3-login.mailchat", "recipes"],
      ["submission-auth-login.mailchat", "recipes"],
    ] as const) {
      const script = join(dir, `other-${name}`);
      copyFileSync(join(REPO_ROOT, folder, name), script);
      const result = await runCli(["run", "--sandbox", "--golden", "--update", script]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      recordings[name] = `${script}.golden`;
    }
  });
  const python = () => ["/usr/bin/python3", "/usr/local/bin/python3"].find((path) => existsSync(path));
  const needPython = (t: { skip(message: string): void }): string | undefined => {
    const found = python();
    if (found) return found;
    if (process.env.CI === "true") assert.fail("python3 is missing: .ci/run installs it");
    t.skip("python3 is not installed");
    return undefined;
  };
  const message = () => {
    const file = join(dir, "other-message.txt");
    writeFileSync(file, `From: <${USER}>\r\nTo: <${USER}>\r\nSubject: mailchat test\r\n\r\nhello\r\n`);
    return file;
  };

  test("curl (smtp, then imap) against examples/first.mailchat: AUTH PLAIN and AUTHENTICATE PLAIN in place of the recorded LOGINs", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    const file = message();
    let served = "";
    await against(recordings["first.mailchat"]!, "curl-first", (s) => {
      const common = ["--silent", "--show-error", "--ssl-reqd", "--cacert", s.ca, "--user", `${USER}:${PASSWORD}`];
      const smtp = client("/usr/bin/curl", [...common, `smtp://localhost:${s.port}`, "--mail-from", USER, "--mail-rcpt", USER, "--upload-file", file]);
      if (smtp.code !== 0) return { code: smtp.code, output: `smtp: ${smtp.output}` };
      const imap = client("/usr/bin/curl", [...common, `imap://localhost:${s.port}/INBOX`, "--request", "FETCH 1 BODY.PEEK[HEADER]"]);
      served = imap.output;
      return imap;
    });
    assert.match(served, /\* 1 FETCH \(BODY\[HEADER\]/);
  });

  test("curl's choices are noted: mechanisms withheld, logins in another form, questions answered", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    const file = message();
    const served = await serve(recordings["submission-auth-login.mailchat"]!, "curl-notes");
    const result = client("/usr/bin/curl", ["--silent", "--show-error", "--ssl-reqd", "--cacert", served.ca, "--user", `${USER}:${PASSWORD}`, `smtp://localhost:${served.port}`, "--mail-from", USER, "--mail-rcpt", USER, "--upload-file", file]);
    const server = await served.exit;
    assert.equal(result.code, 0, `${result.output}\n${server.stdout}`);
    assert.equal(server.code, 0, server.stdout);
    assert.match(server.stdout, /withheld from the capabilities: CRAM-MD5, XOAUTH2/);
    assert.match(server.stdout, /logged in with AUTH PLAIN where the recording has AUTH LOGIN \(line \d+\)/);
  });

  test("curl pop3 against recipes/pop3-login.mailchat: CAPA after STLS, AUTH PLAIN for USER/PASS", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    await against(recordings["pop3-login.mailchat"]!, "curl-pop3", (s) =>
      client("/usr/bin/curl", ["--silent", "--show-error", "--ssl-reqd", "--cacert", s.ca, "--user", `${USER}:${PASSWORD}`, `pop3://localhost:${s.port}/`, "--request", "STAT", "--head"]),
    );
  });

  test("curl imap against recipes/imap-login.mailchat: CAPABILITY before and after STARTTLS, a NOOP of its own", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    await against(recordings["imap-login.mailchat"]!, "curl-imap", (s) =>
      client("/usr/bin/curl", ["--silent", "--show-error", "--ssl-reqd", "--cacert", s.ca, "--user", `${USER}:${PASSWORD}`, `imap://localhost:${s.port}/INBOX`, "--request", "NOOP"]),
    );
  });

  test("Python smtplib and imaplib against examples/first.mailchat, each choosing its own login", async (t) => {
    const py = needPython(t);
    if (!py) return;
    const program = pythonFile("first-clients.py", `import imaplib, smtplib, ssl, sys
port, ca, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
context = ssl.create_default_context(cafile=ca)
with smtplib.SMTP("localhost", port) as smtp:
    smtp.starttls(context=context)
    smtp.login(user, password)
    smtp.sendmail(user, [user], "From: <%s>\\r\\nTo: <%s>\\r\\nSubject: mailchat test\\r\\n\\r\\nhello\\r\\n" % (user, user))
imap = imaplib.IMAP4("localhost", port)
imap.starttls(ssl_context=context)
imap.login(user, password)
typ, data = imap.select("INBOX")
typ, data = imap.fetch(data[0].decode(), "(BODY.PEEK[HEADER])")
assert b"Subject: mailchat test" in data[0][1], data
imap.logout()
print("done")
`);
    await against(recordings["first.mailchat"]!, "python-first", (s) => client(py, [program, String(s.port), s.ca, USER, PASSWORD]));
  });

  test("Python imaplib against recipes/imap-login.mailchat and poplib against recipes/pop3-login.mailchat", async (t) => {
    const py = needPython(t);
    if (!py) return;
    const imap = pythonFile("imap-login.py", `import imaplib, ssl, sys
imap = imaplib.IMAP4("localhost", int(sys.argv[1]))
imap.starttls(ssl_context=ssl.create_default_context(cafile=sys.argv[2]))
imap.login(sys.argv[3], sys.argv[4])
imap.select("INBOX")
imap.logout()
`);
    const pop = pythonFile("pop3-login.py", `import poplib, ssl, sys
pop = poplib.POP3("localhost", int(sys.argv[1]))
pop.stls(context=ssl.create_default_context(cafile=sys.argv[2]))
pop.user(sys.argv[3])
pop.pass_(sys.argv[4])
pop.stat()
pop.quit()
`);
    await against(recordings["imap-login.mailchat"]!, "python-imap", (s) => client(py, [imap, String(s.port), s.ca, USER, PASSWORD]));
    await against(recordings["pop3-login.mailchat"]!, "python-pop3", (s) => client(py, [pop, String(s.port), s.ca, USER, PASSWORD]));
  });

  test("swaks and msmtp against recipes/submission-auth-login.mailchat, each choosing its own mechanism", async (t) => {
    if (!available("/usr/bin/swaks", t)) return;
    await against(recordings["submission-auth-login.mailchat"]!, "swaks-auto", (s) =>
      client("/usr/bin/swaks", ["--server", "localhost", "--port", String(s.port), "--tls", "--tls-ca-path", s.ca, "--auth", "--auth-user", USER, "--auth-password", PASSWORD, "--from", USER, "--to", USER]),
    );
    await against(recordings["submission-auth-login.mailchat"]!, "swaks-plain", (s) =>
      client("/usr/bin/swaks", ["--server", "localhost", "--port", String(s.port), "--tls", "--tls-ca-path", s.ca, "--auth", "PLAIN", "--auth-user", USER, "--auth-password", PASSWORD, "--from", USER, "--to", USER]),
    );
    if (!available("/usr/bin/msmtp", t)) return;
    const file = message();
    await against(recordings["submission-auth-login.mailchat"]!, "msmtp", (s) =>
      client("/usr/bin/msmtp", [`--host=localhost`, `--port=${s.port}`, "--tls=on", "--tls-starttls=on", `--tls-trust-file=${s.ca}`, "--auth=on", `--user=${USER}`, `--passwordeval=echo ${PASSWORD}`, `--from=${USER}`, USER], readFileSync(file, "utf8")),
    );
  });

  test("s-nail against recipes/submission-auth-login.mailchat (AUTH PLAIN) and examples/first.mailchat (AUTH LOGIN): STARTTLS, a message", async (t) => {
    if (!available("/usr/bin/s-nail", t)) return;
    // -:/ reads no rc file; sendwait makes the exit status the SMTP outcome; v15-compat takes
    // the credentials from the mta URL (the @ of the user percent-encoded).
    const snail = (s: Served, mechanism: string) =>
      client("/usr/bin/s-nail", ["-:/", "-S", "v15-compat", "-S", "ttycharset=utf-8", "-S", "sendwait", "-S", `mta=smtp://${encodeURIComponent(USER)}:${PASSWORD}@localhost:${s.port}`, "-S", "smtp-use-starttls", "-S", `smtp-auth=${mechanism}`, "-S", `tls-ca-file=${s.ca}`, "-S", "tls-ca-no-defaults", "-S", `from=${USER}`, "-s", "from s-nail", USER], "hello\n", { HOME: dir });
    await against(recordings["submission-auth-login.mailchat"]!, "s-nail-plain", (s) => snail(s, "plain"));
    // first.mailchat has a second (IMAP) connection s-nail does not make: serve --once would
    // wait for it, so only its submission connection is checked, from serve's own notes.
    const served = await serve(recordings["first.mailchat"]!, "s-nail-login");
    const result = snail(served, "login");
    const notes = await new Promise<string>((done) => {
      let out = "";
      const look = (chunk: Buffer) => {
        out += chunk.toString();
        if (/connection 1 (matched|diverged)/.test(out)) done(out);
      };
      served.child.stdout!.on("data", look);
      setTimeout(() => done(out), 10_000);
    });
    served.child.kill();
    await served.exit;
    assert.equal(result.code, 0, `s-nail failed:\n${result.output}\nserve said:\n${notes}`);
    assert.match(notes, /connection 1 matched the recording/);
  });

  test("fetchmail against recipes/pop3-login.mailchat: CAPA, STLS, CAPA again, USER/PASS, STAT", async (t) => {
    if (!available("/usr/bin/fetchmail", t)) return;
    let said = "";
    await against(recordings["pop3-login.mailchat"]!, "fetchmail", (s) => {
      const home = mkdtempSync(join(dir, "fetchmail-"));
      const rc = join(home, "fetchmailrc");
      // fetchmail refuses an rcfile others can read.
      writeFileSync(rc, `set no syslog\npoll localhost protocol pop3 port ${s.port} auth password\n  user "${USER}" password "${PASSWORD}"\n  sslproto tls1.2+ sslcertck sslcertfile ${s.ca}\n  keep mda "/bin/cat"\n`, { mode: 0o600 });
      const result = client("/usr/bin/fetchmail", ["-f", rc, "-i", join(home, "fetchids"), "-v", "--nodetach", "-d0"], undefined, { HOME: home, FETCHMAILHOME: home });
      said = result.output;
      // The recording's mailbox was empty: fetchmail's status 1 is "no mail", its success here.
      return { code: result.code === 1 && /No mail for/.test(result.output) ? 0 : result.code || 1, output: result.output };
    });
    assert.match(said, /upgrade to TLS succeeded/);
    assert.match(said, /POP3< \+OK 0 0/);
  });

  test("openssl s_client -starttls imap against recipes/imap-login.mailchat: its own CAPABILITY, a typed LOGIN", async (t) => {
    if (!available("/usr/bin/openssl", t)) return;
    const typed = [`a LOGIN ${USER} ${PASSWORD}`, "b SELECT INBOX", "c LOGOUT", ""].join("\n");
    await against(recordings["imap-login.mailchat"]!, "s_client-imap", (s) => {
      const result = client("/usr/bin/openssl", ["s_client", "-starttls", "imap", "-connect", `localhost:${s.port}`, "-CAfile", s.ca, "-quiet", "-crlf", "-verify_return_error"], typed);
      return { code: /c OK Logout/.test(result.output) ? 0 : 1, output: result.output };
    });
  });

  test("--secret: a client with another password gets the protocol's auth failure and a divergence with its reason", async (t) => {
    const py = needPython(t);
    if (!py) return;
    const program = pythonFile("wrong-password.py", `import smtplib, ssl, sys
smtp = smtplib.SMTP("localhost", int(sys.argv[1]))
smtp.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
try:
    smtp.login(sys.argv[3], "not-the-password")
except smtplib.SMTPAuthenticationError as error:
    print("refused", error.smtp_code)
smtp.quit()
`);
    const served = await serveOnce(recordings["submission-auth-login.mailchat"]!, join(dir, "secret-ca.pem"), 60_000, ["--secret", `password=${PASSWORD}`]);
    const result = client(py, [program, String(served.port), served.ca, USER]);
    const server = await served.exit;
    assert.match(result.output, /refused 535/, result.output);
    assert.equal(server.code, 1, server.stdout);
    assert.match(server.stdout, /diverged at .*submission-auth-login\.mailchat\.golden:\d+/);
    assert.match(server.stdout, /why: +the client's password is not the --secret value/);
    assert.ok(!server.stdout.includes("not-the-password") && !server.stdout.includes(PASSWORD), server.stdout);
  });

  test("a real divergence names the client's line, the recorded one with its place, and how to record the client", async (t) => {
    if (!available("/usr/bin/curl", t)) return;
    const golden = recordings["first.mailchat"]!;
    const file = message();
    const served = await serve(golden, "curl-diverges");
    const common = ["--silent", "--show-error", "--ssl-reqd", "--cacert", served.ca, "--user", `${USER}:${PASSWORD}`];
    client("/usr/bin/curl", [...common, `smtp://localhost:${served.port}`, "--mail-from", USER, "--mail-rcpt", USER, "--upload-file", file]);
    const imap = client("/usr/bin/curl", [...common, `imap://localhost:${served.port}/INBOX;MAILINDEX=1`]);
    const server = await served.exit;
    assert.notEqual(imap.code, 0);
    assert.equal(server.code, 1, server.stdout);
    const line = readFileSync(golden, "utf8").split("\n").findIndex((l) => l.startsWith("C: A4 FETCH")) + 1;
    assert.match(server.stdout, new RegExp(`connection 2 diverged at .*first\\.mailchat\\.golden:${line}\n`));
    assert.match(server.stdout, /expected: C: A4 FETCH 1 BODY\.PEEK\[HEADER\]/);
    assert.match(server.stdout, /received: +\S+ (UID )?FETCH 1 .*\(the client's line \d+ of this connection\)/);
    assert.match(server.stdout, /mailchat serve .*first\.mailchat\.golden --once --record CLIENT\.golden/);
  });
});
