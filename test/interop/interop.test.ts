// The same scripts a user writes, run through the CLI against real Postfix and Dovecot.
// Without the servers this suite fails loudly under CI=true instead of passing by skipping.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.js";
import { missingPrerequisites, startMailServers, USERS, type MailServers } from "./servers.js";

const script = (name: string) => `test/interop/scripts/${name}.mailchat`;
const missing = missingPrerequisites();

if (missing) {
  test("interop servers are available", () => {
    const message = `INTEROP SUITE NOT RUN: ${missing}`;
    process.stderr.write(`\n*** ${message} ***\n\n`);
    if (process.env.CI === "true") assert.fail(message);
  });
} else {
  describe("against real Postfix and Dovecot", () => {
    let servers: MailServers;
    const subject = `interop ${Date.now()}`;
    const run = (name: string, vars: Record<string, string | number>) =>
      runCli(["run", script(name), "--ca", servers.caFile, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}=${v}`])], { timeoutMs: 60_000 });

    before(async () => {
      servers = await startMailServers();
      process.stderr.write(`interop: Postfix ${servers.versions.postfix}, ${servers.versions.dovecot}\n`);
    });
    after(() => servers?.stop());

    test("submission: STARTTLS, AUTH LOGIN via Dovecot SASL, DATA; `not capability AUTH` before TLS", async () => {
      const result = await run("submit", { port: servers.ports.submission, password: USERS.alice, subject });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.doesNotMatch(result.stdout, new RegExp(USERS.alice));
    });

    test("POP3: STLS, USER/PASS, STAT, RETR of the message Postfix delivered (dot-unstuffed)", async () => {
      const result = await run("pop3-stls-retr", { port: servers.ports.pop3, password: USERS.alice, subject });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /C: PASS \*{8}/);
    });

    test("IMAP: STARTTLS, LOGIN, SELECT, FETCH of a body holding a fake completion line", async () => {
      const result = await run("imap-starttls-fetch", { port: servers.ports.imap, password: USERS.alice, subject });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /C: A\d+ LOGIN "alice@mailchat\.test" \*{8}/);
    });

    test("IMAPS with AUTHENTICATE PLAIN (SASL-IR), POP3S with AUTH LOGIN", async () => {
      const imaps = await run("imaps-login", { port: servers.ports.imaps, password: USERS.alice });
      assert.equal(imaps.code, 0, imaps.stdout + imaps.stderr);
      const pop3s = await run("pop3s-login", { port: servers.ports.pop3s, password: USERS.alice });
      assert.equal(pop3s.code, 0, pop3s.stdout + pop3s.stderr);
    });

    test("SMTP: PIPELINING and BDAT chunks against Postfix, each reply tied to its command", async () => {
      const result = await run("pipeline-bdat", { port: servers.ports.smtp });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /\*: pipeline: 3 commands in one write/);
      assert.match(result.stdout, /C: BDAT 64\n/);
      assert.match(result.stdout, /C: BDAT \d+ LAST\n/);
    });

    test("the smuggling recipe: Postfix ends messages on bare-LF endings by default, not with smtpd_forbid_bare_newline = yes", async () => {
      const outcomes = (stdout: string) => (stdout.match(/\*: end-of-data probe "(.*)": (ends the message|content|refused)/g) ?? []).map((line) => line.replace(/^\*: end-of-data probe /, ""));
      const open = await runCli(["run", "recipe:smtp-smuggling", "--var", `port=${servers.ports.smtp}`], { timeoutMs: 120_000 });
      assert.equal(open.code, 1, open.stdout);
      assert.deepEqual(outcomes(open.stdout), [
        '"\\n.\\n": ends the message',
        '"\\n.\\r": content',
        '"\\r.\\n": content',
        '"\\r.\\r": content',
        '"\\n.\\r\\n": ends the message',
        '"\\r.\\r\\n": content',
        '"\\r\\n\\0.\\r\\n": content',
        '"\\r\\n.\\r\\r\\n": ends the message',
        '"\\r\\r\\n.\\r\\r\\n": ends the message',
      ]);
      assert.match(open.stdout, /hint: Postfix: set smtpd_forbid_bare_newline/);
      const closed = await runCli(["run", "recipe:smtp-smuggling", "--var", `port=${servers.ports.smtpForbidBareNewline}`], { timeoutMs: 120_000 });
      assert.equal(closed.code, 0, closed.stdout);
      assert.equal(outcomes(closed.stdout).length, 9);
      assert.ok(outcomes(closed.stdout).every((outcome) => !outcome.endsWith("ends the message")), closed.stdout);
    });

    test("imaptest: the translated scripts (test/interop/imaptest/) run green against Dovecot, several sessions at once", async () => {
      const { readdirSync } = await import("node:fs");
      const scripts = readdirSync("test/interop/imaptest").filter((f) => f.endsWith(".mailchat")).map((f) => `test/interop/imaptest/${f}`);
      assert.ok(scripts.length >= 69, `${scripts.length} scripts`);
      const result = await runCli(["run", ...scripts, "--ca", servers.caFile, "--var", `port=${servers.ports.imap}`, "--secret", `password=${USERS.alice}`, "--secret", `password2=${USERS.bob}`, "--reporter", "jsonl"], { timeoutMs: 300_000 });
      const records = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { file: string; status: string; failures: Array<{ line: number; message: string }> });
      const red = records.filter((r) => r.status !== "pass").map((r) => `${r.file}:${r.failures[0]?.line}: ${r.failures[0]?.message}`);
      assert.deepEqual(red, [], red.join("\n"));
      assert.equal(records.length, scripts.length);
      assert.equal(result.code, 0, result.stderr);
    });

    test("LMTP: two recipients, one unknown, one reply per accepted recipient", async () => {
      const result = await run("lmtp-two-recipients", { port: servers.ports.lmtp });
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });

    test("a wrong password fails on each protocol with the credentials hint", async () => {
      for (const [name, port] of [["smtp-wrong-password", servers.ports.submission], ["pop3-wrong-password", servers.ports.pop3], ["imap-wrong-password", servers.ports.imap]] as const) {
        const result = await run(name, { port });
        assert.equal(result.code, 1, `${name}: ${result.stdout}${result.stderr}`);
        assert.match(result.stdout, /hint: the server rejected the credentials/, name);
        assert.doesNotMatch(result.stdout, /Bad-Secret-42/, name);
      }
    });

    test("ManageSieve (Pigeonhole): STARTTLS, capabilities again over TLS, AUTHENTICATE PLAIN, PUTSCRIPT/CHECKSCRIPT with sized literals, GETSCRIPT's literal", async () => {
      const result = await run("sieve-putscript", { port: servers.ports.sieve, password: USERS.alice });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /C: AUTHENTICATE "PLAIN" \*{8}/);
      assert.doesNotMatch(result.stdout, new RegExp(USERS.alice));
    });

    test("ManageSieve: a script the server refuses is a NO with its line, and the hint says so", async () => {
      const result = await run("sieve-bad-script", { port: servers.ports.sieve, password: USERS.alice });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /S: NO \{\d+\}\nS: line 1: error: require command: unknown Sieve capability/);
      assert.match(result.stdout, /hint: the server's Sieve compiler refused the script/);
    });

    test("the sieve-check-script recipe against Dovecot", async () => {
      const result = await runCli(["run", "recipe:sieve-check-script", "--ca", servers.caFile, "--var", `host=localhost:${servers.ports.sieve}`], { timeoutMs: 60_000, env: { MAILCHAT_PASSWORD: USERS.alice } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });

    // Issue 21: a golden comparison of an unchanged server must not fail at random. Each
    // script runs 20 times; after the golden masks (and the secret book) every transcript
    // must equal the first, and the first difference is printed.
    test("each interop script gives the same transcript, after masks, in 20 runs of 20", async () => {
      const { readFileSync } = await import("node:fs");
      const { compile } = await import("../../src/compile/compile.js");
      const { run: runScript } = await import("../../src/runtime/runner.js");
      const { transcriptOf } = await import("../../src/golden/transcript.js");
      const { maskTranscript } = await import("../../src/golden/masks.js");
      const { SecretBook } = await import("../../src/secrets/book.js");
      const ca = [readFileSync(servers.caFile, "utf8")];
      const password = USERS.alice;
      const table: Array<[string, Record<string, string | number>]> = [
        ["submit", { port: servers.ports.submission, password, subject }],
        ["pop3-stls-retr", { port: servers.ports.pop3, password, subject }],
        ["imap-starttls-fetch", { port: servers.ports.imap, password, subject }],
        ["imaps-login", { port: servers.ports.imaps, password }],
        ["pop3s-login", { port: servers.ports.pop3s, password }],
        ["pipeline-bdat", { port: servers.ports.smtp }],
        ["lmtp-two-recipients", { port: servers.ports.lmtp }],
        ["smtp-wrong-password", { port: servers.ports.submission }],
        ["pop3-wrong-password", { port: servers.ports.pop3 }],
        ["imap-wrong-password", { port: servers.ports.imap }],
        ["sieve-putscript", { port: servers.ports.sieve, password }],
        ["sieve-bad-script", { port: servers.ports.sieve, password }],
        ["tls12-only", { port: servers.ports.smtpsTls12 }],
        ["tls13-against-tls12-only", { port: servers.ports.smtpsTls12 }],
      ];
      const differences: string[] = [];
      for (const [name, vars] of table) {
        const compiled = compile(script(name), { vars: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])) });
        assert.ok(compiled.script, `${name} does not compile`);
        let first: string[] | undefined;
        for (let attempt = 1; attempt <= 20; attempt++) {
          const events: import("../../src/runtime/events.js").RunEvent[] = [];
          const secrets = new SecretBook(false);
          await runScript(compiled.script, { emit: (event) => events.push(event), ca, secrets });
          const lines = maskTranscript(transcriptOf(events).map((line) => secrets.redact(line)), compiled.script.masks);
          if (!first) {
            first = lines;
            continue;
          }
          const at = lines.findIndex((line, index) => line !== first![index]);
          if (at < 0 && lines.length === first.length) continue;
          const index = at < 0 ? Math.min(lines.length, first.length) : at;
          differences.push(`${name}, run ${attempt} of 20, transcript line ${index + 1}:\n  run 1: ${first[index] ?? "(end)"}\n  run ${attempt}: ${lines[index] ?? "(end)"}`);
          break;
        }
      }
      assert.deepEqual(differences, [], differences.join("\n"));
    });

    // Issue 23: a recording of real Postfix replayed by `serve` to clients it was not made for.
    test("serve replays a recording of Postfix's submission to curl and Python's smtplib", async () => {
      const { copyFileSync, mkdtempSync, writeFileSync } = await import("node:fs");
      const { spawnSync } = await import("node:child_process");
      const { tmpdir } = await import("node:os");
      const { join } = await import("node:path");
      const { serveOnce } = await import("../helpers/serve.js");
      const dir = mkdtempSync(join(tmpdir(), "mailchat-interop-serve-"));
      const recorded = join(dir, "submit.mailchat");
      copyFileSync(script("submit"), recorded);
      const record = await runCli(["run", recorded, "--ca", servers.caFile, "--var", `port=${servers.ports.submission}`, "--var", `password=${USERS.alice}`, "--var", `subject=${subject}`, "--golden", "--update"], { timeoutMs: 60_000 });
      assert.equal(record.code, 0, record.stdout + record.stderr);
      const message = "From: <alice@mailchat.test>\r\nTo: <alice@mailchat.test>\r\nSubject: replayed\r\n\r\nhello\r\n";
      const clients: Array<[string, (port: number, ca: string) => ReturnType<typeof spawnSync>]> = [
        ["curl", (port, ca) => spawnSync("curl", ["-sS", "--ssl-reqd", "--cacert", ca, `smtp://localhost:${port}`, "--user", `alice@mailchat.test:${USERS.alice}`, "--mail-from", "alice@mailchat.test", "--mail-rcpt", "alice@mailchat.test", "-T", "-"], { input: message, timeout: 30_000, encoding: "utf8" })],
        [
          "smtplib",
          (port, ca) => {
            const program = join(dir, "send.py");
            writeFileSync(program, `import smtplib, ssl, sys\nwith smtplib.SMTP("localhost", int(sys.argv[1])) as smtp:\n    smtp.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))\n    smtp.login("alice@mailchat.test", sys.argv[3])\n    smtp.sendmail("alice@mailchat.test", ["alice@mailchat.test"], sys.argv[4])\n`);
            return spawnSync("python3", [program, String(port), ca, USERS.alice, message.replace(/\r\n/g, "\n")], { timeout: 30_000, encoding: "utf8" });
          },
        ],
      ];
      for (const [name, client] of clients) {
        const served = await serveOnce(`${recorded}.golden`, join(dir, `${name}-ca.pem`));
        const result = client(served.port, served.ca);
        const server = await served.exit;
        assert.equal(result.status, 0, `${name}: ${result.stdout}${result.stderr}\nserve said:\n${server.stdout}`);
        assert.equal(server.code, 0, `serve: ${server.stdout}`);
        assert.doesNotMatch(server.stdout, /diverged/);
      }
    });

    // Issue 22: logs made afresh by real clients against Postfix and Dovecot, imported, and
    // the scripts replayed against the same servers: each must pass (the session succeeded).
    test("fresh client logs against Postfix and Dovecot import into scripts that pass against them", async () => {
      const { mkdtempSync, writeFileSync } = await import("node:fs");
      const { spawnSync } = await import("node:child_process");
      const { tmpdir } = await import("node:os");
      const { join } = await import("node:path");
      const dir = mkdtempSync(join(tmpdir(), "mailchat-interop-logs-"));
      const message = join(dir, "message.eml");
      writeFileSync(message, "From: alice@mailchat.test\r\nTo: alice@mailchat.test\r\nSubject: interop client log\r\n\r\nhello\r\n");
      const submission = String(servers.ports.submission);
      const clients: Array<{ name: string; command: string; args: string[]; stdin?: string; port?: number }> = [
        { name: "swaks", command: "swaks", args: ["--server", `localhost:${submission}`, "--tls", "--tls-verify", "--tls-ca-path", servers.caFile, "--auth", "PLAIN", "--auth-user", "alice@mailchat.test", "--auth-password", USERS.alice, "--from", "alice@mailchat.test", "--to", "alice@mailchat.test", "--helo", "client.example"] },
        { name: "curl", command: "curl", args: ["-v", "--ssl-reqd", "--cacert", servers.caFile, "--url", `smtp://localhost:${submission}`, "--user", `alice@mailchat.test:${USERS.alice}`, "--mail-from", "alice@mailchat.test", "--mail-rcpt", "alice@mailchat.test", "--upload-file", message] },
        { name: "msmtp", command: "msmtp", args: ["--debug", "--host=localhost", `--port=${submission}`, "--tls=on", "--tls-starttls=on", `--tls-trust-file=${servers.caFile}`, "--auth=plain", "--user=alice@mailchat.test", `--passwordeval=echo ${USERS.alice}`, "--from=alice@mailchat.test", "alice@mailchat.test"], stdin: message, port: servers.ports.submission },
        { name: "smtplib", command: "python3", args: ["scripts/corpus/clients/smtplib_send.py", "starttls", "localhost", submission, servers.caFile, "alice@mailchat.test", USERS.alice, "alice@mailchat.test", "alice@mailchat.test"] },
        { name: "imaplib", command: "python3", args: ["scripts/corpus/clients/imaplib_session.py", "starttls", "localhost", String(servers.ports.imap), servers.caFile, "alice@mailchat.test", USERS.alice] },
        { name: "poplib", command: "python3", args: ["scripts/corpus/clients/poplib_session.py", "stls", "localhost", String(servers.ports.pop3), servers.caFile, "alice@mailchat.test", USERS.alice] },
      ];
      const failures: string[] = [];
      for (const client of clients) {
        const { readFileSync } = await import("node:fs");
        const made = spawnSync(client.command, client.args, { input: client.stdin ? readFileSync(client.stdin) : "", timeout: 30_000, encoding: "utf8" });
        const log = join(dir, `${client.name}.log`);
        writeFileSync(log, `${made.stdout}${made.stderr}`);
        if (made.status !== 0) {
          failures.push(`${client.name}: the client itself failed (exit ${made.status}): ${made.stderr.slice(-300)}`);
          continue;
        }
        const imported = await runCli(["import", log, "-o", join(dir, `${client.name}.mailchat`)]);
        if (imported.code !== 0) {
          failures.push(`${client.name}: import exit ${imported.code}: ${imported.stderr.slice(0, 300)}`);
          continue;
        }
        const script = readFileSync(join(dir, `${client.name}.mailchat`), "utf8");
        assert.ok(!script.includes(USERS.alice), `${client.name}: the password reached the script`);
        // A log that does not name its port (smtplib, msmtp's session lines) is run with the port
        // its user knows.
        const port = /^connect \w+:\/\/\$\{host\}$/m.test(script) ? `:${client.port ?? client.args.find((a) => /^\d{4,5}$/.test(a))}` : "";
        const run = await runCli(["run", join(dir, `${client.name}.mailchat`), "--ca", servers.caFile, "--var", `host=localhost${port}`, "--timeout", "5s"], { env: { MAILCHAT_PASSWORD: USERS.alice }, timeoutMs: 60_000 });
        if (run.code !== 0) failures.push(`${client.name}: the imported script failed (exit ${run.code}):\n${run.stdout.slice(-800)}`);
      }
      assert.deepEqual(failures, [], failures.join("\n\n"));
    });

    test("TLS pinning against a server limited to TLS 1.2", async () => {
      const negotiated = await run("tls12-only", { port: servers.ports.smtpsTls12 });
      assert.equal(negotiated.code, 0, negotiated.stdout + negotiated.stderr);
      const refused = await run("tls13-against-tls12-only", { port: servers.ports.smtpsTls12 });
      assert.equal(refused.code, 3, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /TLS failed/);
      assert.match(refused.stdout, /no TLS version is acceptable to both sides/);
    });
  });
}
