// The SMTP runner end to end, through the real CLI, against real servers on 127.0.0.1:
// mailchat's sandbox (nodemailer's smtp-server with a CA generated at start), an in-test
// smtp-server, and raw sockets that misbehave on purpose.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { SMTPServer } from "smtp-server";
import { runCli } from "../helpers/cli.js";
import { startRawServer } from "../helpers/raw-server.js";

const fixture = (name: string) => `test/fixtures/run/${name}.mailchat`;

function listen(server: SMTPServer): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolvePromise((server.server.address() as { port: number }).port));
  });
}

function closeServer(server: SMTPServer): Promise<void> {
  return new Promise((resolvePromise) => server.close(() => resolvePromise()));
}

describe("a full session against the sandbox", () => {
  test("STARTTLS + AUTH LOGIN + DATA passes and never shows the password", async () => {
    const result = await runCli(["run", "--sandbox", "examples/first.mailchat"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /C: EHLO mailchat\.test/);
    assert.match(result.stdout, /C: STARTTLS/);
    assert.match(result.stdout, /\*: tls TLSv1\.[23]/);
    assert.match(result.stdout, /C: AUTH LOGIN/);
    assert.match(result.stdout, /S: 334 VXNlcm5hbWU6/);
    assert.match(result.stdout, /C: \*{8}/);
    assert.match(result.stdout, /S: 235/);
    assert.match(result.stdout, /C: \.\.\. a line that starts with a dot/);
    assert.match(result.stdout, /S: 250 .*queued as/);
    assert.doesNotMatch(result.stdout + result.stderr, /alice-sandbox-pw/);
    assert.doesNotMatch(result.stdout + result.stderr, /YWxpY2Utc2FuZGJveC1wdw/, "the base64 of the password must not appear either");
  });

  test("--show-secrets reveals what was sent", async () => {
    const result = await runCli(["run", "--sandbox", "--show-secrets", "examples/first.mailchat"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /YWxpY2Utc2FuZGJveC1wdw==/);
  });

  test("a rejected password passes when the script expects 535", async () => {
    const result = await runCli(["run", "--sandbox", fixture("rejected-password-expect-535")]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /S: 535 5\.7\.8/);
    assert.doesNotMatch(result.stdout, /not-the-password/);
  });

  test("a rejected password fails `expect 235` with exit 1, a diff and a hint", async () => {
    const result = await runCli(["run", "--sandbox", fixture("rejected-password-expect-235")]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /expected reply code 235, got 535/);
    assert.match(result.stdout, /^\s*-\s*235/m);
    assert.match(result.stdout, /^\s*\+\s*535 5\.7\.8/m);
    assert.match(result.stdout, /hint:.*(credential|password)/i);
    assert.match(result.stdout, /rejected-password-expect-235\.mailchat:10:8/);
    assert.doesNotMatch(result.stdout, /not-the-password/);
  });

  test("TLS version pinning: version TLSv1.2 negotiates TLSv1.2 and the certificate verifies against the sandbox CA", async () => {
    const result = await runCli(["run", "--sandbox", fixture("tls12-pinned")]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\*: tls TLSv1\.2 /);
  });

  test("a TLS version check that does not hold fails with the negotiated version", async () => {
    const result = await runCli(["run", "--sandbox", fixture("tls13-required-but-pinned-12")]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /expected TLS version >= TLSv1\.3, negotiated TLSv1\.2/);
  });
});

describe("against nodemailer's smtp-server started in the test", () => {
  const received: string[] = [];
  const plain = new SMTPServer({
    hideSTARTTLS: true,
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push(Buffer.concat(chunks).toString("utf8"));
        callback();
      });
    },
  });
  const port = listen(plain);
  after(() => closeServer(plain));

  test("`not capability STARTTLS` holds on a server that offers none", async () => {
    const result = await runCli(["run", fixture("no-starttls"), "--var", `port=${await port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  test("`capability STARTTLS` fails there, with the middlebox hint", async () => {
    const result = await runCli(["run", fixture("starttls-required"), "--var", `port=${await port}`]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /expected capability STARTTLS, but the server does not offer it/);
    assert.match(result.stdout, /hint:.*(middlebox|firewall|inspection)/i);
  });

  test("a dot-stuffed body arrives at the server exactly as written", async () => {
    const result = await runCli(["run", fixture("dot-stuffing"), "--var", `port=${await port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /C: \.\.leading dot/);
    assert.match(result.stdout, /C: \.\.\.two leading dots/);
    assert.equal(received.at(-1), "Subject: dots\r\n\r\n.leading dot\r\n..two leading dots\r\n");
  });
});

describe("hostile and broken servers", () => {
  test("a server that never answers fails the step after its `within`, exit 1", async () => {
    const server = await startRawServer(() => undefined);
    try {
      const result = await runCli(["run", fixture("greeting-within-1s"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /no reply within 1 s/);
      assert.ok(result.ms < 10_000, `took ${result.ms} ms`);
    } finally {
      await server.close();
    }
  });

  test("a server that closes in the middle of a reply is reported as such", async () => {
    const server = await startRawServer((socket: Socket) => {
      socket.write("220 broken.test ESMTP\r\n");
      socket.once("data", () => socket.end("250-broken.test\r\n250-PIPELI"));
    });
    try {
      const result = await runCli(["run", fixture("ehlo-reply"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /closed the connection in the middle of a reply/);
      assert.match(result.stdout, /250-PIPELI/);
    } finally {
      await server.close();
    }
  });

  test("several megabytes without a line end end in a bounded, clear failure", async () => {
    const server = await startRawServer((socket: Socket) => {
      socket.on("error", () => undefined);
      const block = Buffer.alloc(64 * 1024, "A");
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024 && !socket.destroyed) {
          sent += block.length;
          if (!socket.write(block)) return void socket.once("drain", pump);
        }
      };
      pump();
    });
    try {
      const result = await runCli(["run", fixture("greeting-within-1s"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /bytes without a line end \(a reply line may hold 8192/);
    } finally {
      await server.close();
    }
  });

  test("a refused connection is exit 3 with the cause in words", async () => {
    const server = await startRawServer(() => undefined);
    const port = server.port;
    await server.close();
    const result = await runCli(["run", fixture("greeting-within-1s"), "--var", `port=${port}`]);
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /refused/);
    assert.match(result.stdout, /service not running|firewall/);
  });

  test("a name that does not resolve is exit 3, a DNS problem in words", async () => {
    const result = await runCli(["run", fixture("dns-failure")], { timeoutMs: 60_000 });
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /DNS problem/);
  });

  test("a CR LF smuggled in through --var is refused before anything is sent", async () => {
    let connections = 0;
    const server = await startRawServer((socket: Socket) => {
      connections += 1;
      socket.write("220 ready\r\n");
    });
    try {
      const result = await runCli(["run", fixture("smuggled-rcpt"), "--var", `port=${server.port}`, "--var", "rcpt=a@example.com>\r\nRCPT TO:<b@example.com"]);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /holds a line break/);
      assert.match(result.stderr, /smuggled-rcpt\.mailchat:5:15/);
      assert.equal(connections, 0);
    } finally {
      await server.close();
    }
  });
});
