// The same scripts a user writes, run through the CLI against real Postfix and Dovecot.
// Without the servers this suite fails loudly under CI=true instead of passing by skipping.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { missingPrerequisites, startMailServers, USERS, type MailServers } from "./servers.js";
import { dnsInteropTests } from "./dns.js";

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

    dnsInteropTests(() => servers);

    test("submission: STARTTLS, AUTH LOGIN via Dovecot SASL, DATA; `not capability AUTH` before TLS", async () => {
      const result = await run("submit", { port: servers.ports.submission, password: USERS.alice, subject });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.doesNotMatch(result.stdout, new RegExp(USERS.alice));
    });

    test("relay by client certificate: Postfix permit_tls_clientcerts relays for the listed certificate (on STARTTLS), not without it nor for another", async () => {
      const { pki } = servers;
      const allowed = await run("relay-client-cert", { port: servers.ports.smtpClientCert, cert: pki.client, key: pki.clientKey, chain: pki.intermediate });
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      assert.match(allowed.stdout, /\*: client cert CN=mailchat client, sha256 /);
      assert.match(allowed.stdout, /S: 250 2\.1\.5 Ok/);
      assert.doesNotMatch(allowed.stdout, /PRIVATE KEY/);
      const refused = await run("relay-refused-without-client-cert", { port: servers.ports.smtpClientCert, other_cert: pki.leaf, other_key: pki.leafKey });
      assert.equal(refused.code, 0, refused.stdout + refused.stderr);
      assert.equal(refused.stdout.match(/S: 554 5\.7\.1 <someone@elsewhere\.example>: Relay access denied/g)?.length, 2, refused.stdout);
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

    test("LMTP over Dovecot's UNIX socket (unix_listener lmtp): delivered, then read back over IMAP", async () => {
      const socketSubject = `${subject} over a socket`;
      const result = await run("lmtp-socket-imap", { socket: servers.sockets.lmtp, port: servers.ports.imap, password: USERS.alice, subject: socketSubject });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`\\*: connect lmtp://${servers.sockets.lmtp} \\(lmtp\\)\\n\\*: connected to ${servers.sockets.lmtp} in`));
      assert.match(result.stdout, /S: 250 2\.0\.0 <alice@mailchat\.test> \S+ Saved/);
      assert.match(result.stdout, /S: \* SEARCH \d+/);
      const recipe = await runCli(["run", "recipe:lmtp-socket", "--var", `socket=${servers.sockets.lmtp}`], { timeoutMs: 60_000 });
      assert.equal(recipe.code, 0, recipe.stdout + recipe.stderr);
      assert.match(recipe.stdout, /S: 250 2\.0\.0 <alice@mailchat\.test> \S+ Saved/);
    });

    test("PROXY protocol v1 and v2 against Postfix's smtpd_upstream_proxy_protocol = haproxy: its log and the Received header name the client presented", async () => {
      const proxySubject = `${subject} through a proxy`;
      const result = await run("proxy-postfix", { port: servers.ports.smtpProxy, subject: proxySubject });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`\\*: proxy v1: PROXY TCP4 192\\.0\\.2\\.10 127\\.0\\.0\\.1 5555 ${servers.ports.smtpProxy}\\n`));
      assert.match(result.stdout, /\*: proxy v2: PROXY TCP4 client 198\.51\.100\.20:6666 server 127\.0\.0\.1:\d+ \(28 bytes: 0d0a0d0a000d0a515549540a 21 11 000c c6336414 7f000001 1a0a [0-9a-f]{4}\)/);
      // Postfix hands the messages to Dovecot over LMTP on its own time: read back until there.
      for (const [version, client] of [["v1", "192.0.2.10"], ["v2", "198.51.100.20"]] as const) {
        let read: Awaited<ReturnType<typeof run>> | undefined;
        for (let attempt = 0; attempt < 40 && read?.code !== 0; attempt++) {
          if (attempt > 0) await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
          read = await run("imap-received", { port: servers.ports.imap, password: USERS.alice, subject: `${proxySubject} ${version}`, client });
        }
        assert.equal(read!.code, 0, read!.stdout + read!.stderr);
        assert.match(read!.stdout, new RegExp(`S: Received: from client\\.example \\(unknown \\[${client.replace(/\./g, "\\.")}\\]\\)`));
      }
      // By now Postfix's postlogd has written the connections' lines.
      const { readFileSync } = await import("node:fs");
      const { join } = await import("node:path");
      const log = readFileSync(join(servers.dir, "postfix", "maillog"), "utf8");
      assert.match(log, /connect from unknown\[192\.0\.2\.10\]/);
      assert.match(log, /connect from unknown\[198\.51\.100\.20\]/);
    });

    test("PROXY v2 against Dovecot's inet_listener with haproxy = yes: the login is logged from the client presented, and plaintext LOGIN is disabled for it", async () => {
      const result = await run("imap-proxy", { port: servers.ports.imapProxy, password: USERS.alice });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /\*: proxy v2: PROXY TCP4 client 192\.0\.2\.30:7000 server 127\.0\.0\.1:\d+ /);
      // Not a trusted or local network: Dovecot refuses LOGIN before TLS (disable_plaintext_auth).
      assert.match(result.stdout, /S: \* OK \[CAPABILITY [^\]]*LOGINDISABLED/);
      const { readFileSync } = await import("node:fs");
      const { join } = await import("node:path");
      const log = readFileSync(join(servers.dir, "dovecot", "dovecot.log"), "utf8");
      assert.match(log, /imap-login: Info: Login: user=<alice@mailchat\.test>, method=PLAIN, rip=192\.0\.2\.30, lip=127\.0\.0\.1/);
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
        { name: "perl-net-smtp", command: "perl", args: ["scripts/corpus/clients/net_smtp.pl", "starttls", "localhost", submission, servers.caFile, "alice@mailchat.test", USERS.alice, "alice@mailchat.test", "alice@mailchat.test"] },
        { name: "ruby-net-smtp", command: "ruby", args: ["scripts/corpus/clients/net_smtp.rb", "starttls", "localhost", submission, servers.caFile, "alice@mailchat.test", USERS.alice, "login", "alice@mailchat.test", "alice@mailchat.test"] },
        { name: "php-phpmailer", command: "php", args: ["scripts/corpus/clients/phpmailer_send.php", "tls", "localhost", submission, servers.caFile, "alice@mailchat.test", USERS.alice, "4", "alice@mailchat.test", "alice@mailchat.test"] },
        // Wireshark's Follow TCP Stream of a plaintext relay to Postfix's port 25.
        { name: "tshark-follow", command: "scripts/corpus/clients/tshark_capture.sh", args: ["follow", String(servers.ports.smtp), "smtp", `swaks --server localhost:${servers.ports.smtp} --from alice@mailchat.test --to alice@mailchat.test --helo client.example`] },
      ];
      const failures: string[] = [];
      for (const client of clients) {
        const { readFileSync } = await import("node:fs");
        const made = spawnSync(client.command, client.args, { input: client.stdin ? readFileSync(client.stdin) : "", timeout: 30_000, encoding: "utf8" });
        // Outside CI a machine may lack a client; CI installs every one (.ci/run).
        if ((made.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT" && process.env.CI !== "true") continue;
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

    test("a monitoring check of Postfix: warning-level timings (nagios WARNING, perfdata with warn and crit) and a built message with an attachment, read back from Dovecot", async () => {
      const monitored = `monitor ${Date.now()}`;
      const result = await runCli(["run", script("monitor-submit"), "--ca", servers.caFile, "--var", `port=${servers.ports.submission}`, "--var", `password=${USERS.alice}`, "--var", `subject=${monitored}`, "--reporter", "nagios"], { timeoutMs: 60_000 });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /^MAILCHAT WARNING - 1 of 1 checks passed, 1 with warnings: .*monitor-submit\.mailchat: line 32: the session took [\d.]+ m?s, more than the 1 ms warning threshold/);
      const perfdata = result.stdout.split("\n")[0]!.split(" | ")[1]!.split(" ");
      for (const [label, thresholds] of [["connect", ";1;2;0"], ["greeting", ";5;10;0"], ["reply_line11", ";5;10;0"], ["handshake", ";2;5;0"], ["cert_days", ";@~:30;@~:14"], ["reply_line29", ";5;10;0"], ["session", ";0.001;30;0"]] as const) {
        const item = perfdata.find((p) => p.startsWith(`'${label}'=`));
        assert.ok(item?.endsWith(thresholds), `${label}: ${item} in ${result.stdout}`);
      }
      // Postfix hands the message to Dovecot's LMTP after its 250: read it back once it is there.
      let readback: Awaited<ReturnType<typeof run>> | undefined;
      for (let attempt = 0; attempt < 20; attempt++) {
        readback = await run("monitor-readback", { port: servers.ports.imap, password: USERS.alice, subject: monitored });
        if (readback.code === 0) break;
        await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
      }
      assert.equal(readback!.code, 0, readback!.stdout + readback!.stderr);
    });

    test("TLS pinning against a server limited to TLS 1.2", async () => {
      const negotiated = await run("tls12-only", { port: servers.ports.smtpsTls12 });
      assert.equal(negotiated.code, 0, negotiated.stdout + negotiated.stderr);
      const refused = await run("tls13-against-tls12-only", { port: servers.ports.smtpsTls12 });
      assert.equal(refused.code, 3, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /TLS failed/);
      assert.match(refused.stdout, /no TLS version is acceptable to both sides/);
    });

    // `mailchat shell` typed through a pipe, saved, and the saved script run green.
    const typed = async (url: string, lines: string[]) => {
      const saved = join(mkdtempSync(join(tmpdir(), "mailchat-shell-interop-")), "typed.mailchat");
      const shell = await runCli(["shell", url, "--ca", servers.caFile, "--save", saved, "--no-history"], { input: `${lines.join("\n")}\n`, timeoutMs: 60_000 });
      assert.equal(shell.code, 0, shell.stdout + shell.stderr);
      assert.ok(!shell.stdout.includes(USERS.alice), "the password is never shown");
      const script = readFileSync(saved, "utf8");
      assert.ok(!script.includes(USERS.alice), "the password is never saved");
      const run = await runCli(["run", saved, "--ca", servers.caFile], { env: { MAILCHAT_PASSWORD: USERS.alice }, timeoutMs: 60_000 });
      assert.equal(run.code, 0, `${script}\n${run.stdout}${run.stderr}`);
      return { shell, script };
    };

    test("shell: a session typed against Postfix submission (STARTTLS, AUTH via Dovecot SASL, data) is saved and runs green", async () => {
      const { shell, script } = await typed(`submission://localhost:${servers.ports.submission}`, [
        "EHLO shell.mailchat.test",
        "starttls",
        "auth plain alice@mailchat.test",
        USERS.alice,
        "MAIL FROM:<alice@mailchat.test>",
        "RCPT TO:<alice@mailchat.test>",
        "data",
        `Subject: ${subject} (typed in the shell)`,
        "",
        "typed by hand",
        ".",
        "QUIT",
      ]);
      assert.match(shell.stdout, /C: AUTH PLAIN \*{8}\nS: 235 2\.7\.0/);
      assert.match(script, /^send EHLO shell\.mailchat\.test\nexpect 250 capability STARTTLS\nstarttls\nsend EHLO shell\.mailchat\.test\nexpect 250 capability AUTH PLAIN\nauth plain alice@mailchat\.test \$\{env\.MAILCHAT_PASSWORD\}\nexpect 235 2\.7\.0$/m);
      assert.match(script, /^expect 250 2\.0\.0 \/queued as \(\?<queue>\[A-Za-z0-9\]\+\)\/$/m);
    });

    test("shell: a session typed against Dovecot IMAP (STARTTLS, LOGIN, SELECT) is saved and runs green", async () => {
      const { shell, script } = await typed(`imap://localhost:${servers.ports.imap}`, ["CAPABILITY", "starttls", "auth login alice@mailchat.test", USERS.alice, "SELECT INBOX", "expect OK [READ-WRITE]", "LOGOUT"]);
      assert.match(shell.stdout, /C: A\d+ LOGIN "alice@mailchat\.test" \*{8}/);
      assert.match(script, /^send CAPABILITY\nexpect OK capability STARTTLS\nstarttls\n/m);
      assert.match(script, /^send SELECT INBOX\nexpect OK \[READ-WRITE\]$/m);
    });
  });
}
