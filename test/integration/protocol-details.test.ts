// Details the RFCs insist on, end to end through the CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TLSSocket, createSecureContext } from "node:tls";
import type { Socket } from "node:net";
import { runCli } from "../helpers/cli.js";
import { startRawServer } from "../helpers/raw-server.js";
import { generateCertificates } from "../../src/sandbox/certs.js";

test("STARTTLS injection (RFC 3207 §4.2): plaintext sent after the go-ahead never reaches the TLS session", async () => {
  const certs = generateCertificates();
  const context = createSecureContext({ cert: certs.certPem, key: certs.keyPem });
  const server = await startRawServer((socket: Socket) => {
    socket.write("220 inject.test ESMTP\r\n");
    let phase = "plain";
    socket.on("data", (chunk: Buffer) => {
      if (phase !== "plain") return;
      const text = chunk.toString();
      if (/^EHLO/m.test(text)) socket.write("250-inject.test\r\n250 STARTTLS\r\n");
      if (/^STARTTLS/m.test(text)) {
        phase = "tls";
        // The attack: a reply smuggled in right behind the go-ahead, in the same packet.
        socket.write("220 go ahead\r\n250 injected\r\n");
        socket.removeAllListeners("data");
        const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
        secure.on("error", () => undefined);
        let buffer = "";
        secure.on("data", (data: Buffer) => {
          buffer += data.toString();
          if (buffer.includes("EHLO")) {
            buffer = "";
            secure.write("250-inject.test\r\n250 AUTH PLAIN\r\n");
          }
          if (buffer.includes("QUIT")) secure.end("221 bye\r\n");
        });
      }
    });
  });
  try {
    const result = await runCli(["run", "test/fixtures/run/starttls-injection.mailchat", "--var", `port=${server.port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /note: discarded \d+ bytes the server sent in plaintext after its STARTTLS go-ahead/);
    assert.match(result.stdout, /note: certificate verification is off/);
  } finally {
    await server.close();
  }
});

test("`expect silence` holds while the server says nothing; `expect closed` skips the farewell", async () => {
  const server = await startRawServer((socket: Socket) => {
    socket.write("220 quiet.test\r\n");
    socket.on("data", () => socket.end("221 bye\r\n"));
  });
  try {
    const result = await runCli(["run", "test/fixtures/run/silence-then-closed.mailchat", "--var", `port=${server.port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /S: 221 bye/);
  } finally {
    await server.close();
  }
});

test("IMAP literal: mailchat waits for the + go-ahead, the data line goes untagged", async () => {
  const result = await runCli(["run", "--sandbox", "test/fixtures/run/imap-append.mailchat"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /C: A3 APPEND INBOX \{11\}\nS: \+ Ready for literal data\nC: hello world\nS: A3 OK/);
});

test("LMTP: each reply after the data is named after its recipient", async () => {
  const result = await runCli(["run", "--sandbox", "test/fixtures/run/lmtp-recipients.mailchat"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /LMTP: this reply is for <alice@mailchat\.test>[\s\S]*LMTP: this reply is for <bob@mailchat\.test>/);
});

test("sandbox IMAP: APPEND, STATUS, UID SEARCH and a UID FETCH that uses the captured UID", async () => {
  const result = await runCli(["run", "--sandbox", "test/fixtures/run/imap-uid.mailchat"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /C: A6 UID FETCH 1 \(FLAGS BODY\.PEEK\[\]\)/);
});

test("IMAP `capability AUTH=PLAIN` is the wire form of `capability AUTH PLAIN`; a miss lists what was offered in full", async () => {
  const result = await runCli(["run", "--sandbox", "test/fixtures/run/imap-capability-wire-form.mailchat"]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /expected capability AUTH=CRAM-MD5, but the server does not offer it/);
  assert.match(result.stdout, /- AUTH=CRAM-MD5\n\s+\+ offered: IMAP4REV1 .*AUTH=PLAIN/);
});

test("`${tag}` is the tag of the IMAP command sent last; captured values inside a regex match literally", async () => {
  const result = await runCli(["run", "--sandbox", "test/fixtures/run/imap-tag-and-regex-values.mailchat"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

test("a captured value with regex characters matches only itself inside a regex", async () => {
  const { compile } = await import("../../src/compile/compile.js");
  const result = compile("x.mailchat", { source: 'connect smtp://localhost\nset dot = "a.c"\nexpect 220 /^220 ${dot}$/\n' });
  const step = result.script!.steps.find((s) => s.kind === "expect")!;
  const text = step.kind === "expect" ? step.matchers.find((m) => m.kind === "text") : undefined;
  const pattern = text?.kind === "text" ? text.pattern : undefined;
  assert.ok(pattern?.kind === "regex");
  assert.ok(pattern.regex.test("220 a.c") && !pattern.regex.test("220 abc"));
});
