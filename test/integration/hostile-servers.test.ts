// The hostile-server suite (issue 9): one case per behaviour a server nobody trusts may show.
// Each asserts the exit status, the message naming the cause, the time (within the step's
// timeout) and, for floods, the memory bound. Scripts are fixture files; the servers are real
// TCP listeners on 127.0.0.1 that misbehave on purpose.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { join } from "node:path";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";
import { onClientLines, startRawServer } from "../helpers/raw-server.js";

const script = (name: string) => join(FIXTURES, "hostile", name, "script.mailchat");

function onLines(socket: Socket, answer: (line: string) => string | undefined): void {
  onClientLines(
    socket,
    (line) => {
      const reply = answer(line);
      if (reply !== undefined) socket.write(reply);
    },
    "latin1",
  );
}

async function against(behaviour: (socket: Socket) => void, fixture: string, extra: string[] = [], timeoutMs = 30_000) {
  const server = await startRawServer(behaviour);
  try {
    return await runCli(["run", script(fixture), "--var", `port=${server.port}`, ...extra], { timeoutMs });
  } finally {
    await server.close();
  }
}

describe("a hostile or broken server cannot fool the verdict", () => {
  test("a script of `send` lines fails on a 421 and a close, naming the reply", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n");
      socket.once("data", () => socket.end("421 4.7.0 mx too busy, closing\r\n"));
    }, "sends-after-421");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /refused `EHLO client\.test` \(421\) and closed the connection/);
    assert.match(result.stdout, /421 4\.7\.0 mx too busy, closing/);
    assert.ok(result.ms < 10_000);
  });

  test("a reply pushed before its command was sent is out of sync", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n250 pushed early\r\n");
      onLines(socket, (line) => (/^QUIT/i.test(line) ? "221 bye\r\n" : "250 ok\r\n"));
    }, "unsolicited-after-greeting");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /out of sync: this reply arrived while no command was waiting/);
    assert.match(result.stdout, /actual: +250 pushed early/);
  });

  test("a server that closes before the script ends fails it, naming its last reply", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n");
      socket.once("data", () => socket.end("250 mx hello\r\n"));
    }, "closed-before-end");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /closed the connection.*250 mx hello/);
  });

  test("a refusal the script accepts with `expect any` passes", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n");
      onLines(socket, (line) => (/^QUIT/i.test(line) ? "221 bye\r\n" : "502 5.5.2 no\r\n"));
    }, "refusal-accepted");
    assert.equal(result.code, 0, result.stdout);
  });

  test("a reply code that changes within a multi-line reply is named, whatever the last line says", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n");
      onLines(socket, () => "550-5.7.1 denied\r\n250 ok\r\n");
    }, "code-changes");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /code changes within one multi-line reply \(550 then 250\)/);
  });

  test("an IMAP line with another command's tag does not complete the command", async () => {
    const result = await against((socket) => {
      socket.write("* OK ready\r\n");
      onLines(socket, (line) => (line.startsWith("A1 ") ? "NOOP BAD not yours\r\nA9 OK not yours either\r\nA1 OK done\r\n" : undefined));
    }, "imap-foreign-tag");
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /S: NOOP BAD not yours\nS: A9 OK not yours either\nS: A1 OK done/);
  });
});

describe("every wait and every size is bounded", () => {
  test("a backtracking script regex is stopped within its step's time", async () => {
    const result = await against((socket) => socket.write(`220 ${"a".repeat(32)}!\r\n`), "backtracking-regex");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /the regex \/\^220 \(a\|a\)\+\$\/ ran for more than \d+ ms and was stopped/);
    assert.ok(result.ms < 6_000, `took ${result.ms} ms`);
  });

  test("a nested-quantifier regex is refused when the script compiles", async () => {
    const result = await runCli(["check", "-"], { input: "connect smtp://127.0.0.1:2525\nexpect /^220 (a+)+$/\n" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /can backtrack for minutes on a hostile reply/);
    assert.match(result.stderr, /\(stdin\):2:8/);
  });

  test("a flood of tiny untagged IMAP lines is stopped by a line cap, memory bounded", async () => {
    const result = await against((socket) => {
      socket.write("* OK ready\r\n");
      socket.once("data", () => {
        const block = Buffer.from("* a\r\n".repeat(20_000));
        const pump = () => {
          while (!socket.destroyed) if (!socket.write(block)) return void socket.once("drain", pump);
        };
        pump();
      });
    }, "imap-untagged-flood");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /more than 500000 lines without completing the command/);
    assert.ok(result.ms < 20_000, `took ${result.ms} ms`);
    if (result.peakMiB > 0) assert.ok(result.peakMiB < 300, `peak ${result.peakMiB.toFixed(0)} MiB`);
  });

  test("a reply line of exactly 8192 bytes plus CRLF is accepted", async () => {
    const result = await against((socket) => {
      socket.write(`220 ${"x".repeat(8188)}\r\n`);
      onLines(socket, () => "221 bye\r\n");
    }, "line-limit");
    assert.equal(result.code, 0, result.stdout);
  });

  test("a reply line of 8193 bytes is refused, saying what it saw", async () => {
    const result = await against((socket) => socket.write(`220 ${"x".repeat(8189)}\r\n`), "line-limit");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /a reply line of 8193 bytes \(limit 8192/);
  });

  test("a wait longer than a timer can hold is refused at compile time", async () => {
    const result = await runCli(["check", "-"], { input: "connect smtp://127.0.0.1:2525\nexpect 220 within 30d\n" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /`30d` is longer than a wait can be/);
  });

  test("a STARTTLS go-ahead followed by a silent handshake waits only the script's timeout, with the middlebox hint", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n");
      onLines(socket, (line) => (/^STARTTLS/i.test(line) ? "220 2.0.0 Ready to start TLS\r\n" : /^EHLO/i.test(line) ? "250-mx\r\n250 STARTTLS\r\n" : undefined));
    }, "starttls-stall");
    assert.equal(result.code, 3, result.stdout);
    assert.match(result.stdout, /did not finish within 2 s/);
    assert.match(result.stdout, /agreed to STARTTLS but never answered the TLS ClientHello: a middlebox/);
    assert.ok(result.ms < 8_000, `took ${result.ms} ms`);
  });

  for (const [how, drop] of [
    ["resets", (socket: TLSSocket) => socket.destroy()],
    ["closes", (socket: TLSSocket) => socket.end()],
  ] as const) {
    test(`a server that ${how} the connection right after the TLS handshake is reported closed, at once`, async () => {
      const certificates = generateCertificates();
      const result = await against((socket) => {
        socket.write("220 mx ESMTP\r\n");
        onLines(socket, (line) => {
          if (/^EHLO/i.test(line)) return "250-mx\r\n250 STARTTLS\r\n";
          if (!/^STARTTLS/i.test(line)) return undefined;
          socket.removeAllListeners("data");
          socket.write("220 2.0.0 Ready to start TLS\r\n", () => {
            const secure = new TLSSocket(socket, { isServer: true, key: certificates.keyPem, cert: certificates.certPem });
            secure.on("error", () => undefined);
            secure.once("secure", () => drop(secure));
          });
          return undefined;
        });
      }, "closes-after-tls");
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stdout, /closed/);
      assert.ok(result.ms < 4_000, `took ${result.ms} ms`);
    });
  }

  test("a handshake reset after a pinned ClientHello says the server may not accept that version", async () => {
    const result = await against((socket) => socket.once("data", () => socket.resetAndDestroy()), "pinned-tls-reset");
    assert.equal(result.code, 3, result.stdout);
    assert.match(result.stdout, /offered only TLSv1\.2: it probably does not accept that version/);
  });
});

describe("what is not a failure", () => {
  test("a server that hangs up on a final QUIT without its 221 has done what was asked", async () => {
    const result = await against((socket) => {
      socket.write("220 mx ESMTP\r\n");
      onLines(socket, (line) => {
        if (/^QUIT/i.test(line)) socket.destroy();
        return /^QUIT/i.test(line) ? undefined : "250 ok\r\n";
      });
    }, "quit-without-reply");
    assert.equal(result.code, 0, result.stdout);
  });
});
