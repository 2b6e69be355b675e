// Trust, round two (issue 21): the transcript in wire order, literals counted by their bytes,
// tags typed by the user, and named sessions bounded and judged like the current one. Real
// TCP and TLS on 127.0.0.1; servers that count bytes as Dovecot does, or misbehave on purpose.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";
import { onClientLines, startRawServer } from "../helpers/raw-server.js";

const script = (name: string) => join(FIXTURES, "hostile", name, "script.mailchat");

/** Writes `chunk` for as long as the client reads, from a moment after the reply before it. */
function flood(socket: Socket, chunk: Buffer): void {
  const pump = () => {
    while (!socket.destroyed) if (!socket.write(chunk)) return void socket.once("drain", pump);
  };
  setTimeout(pump, 50);
}

/** An SMTP server that says little and waits: the other session of a two-session script. */
function quietSmtp(socket: Socket): void {
  socket.write("220 quiet ESMTP\r\n");
  onClientLines(socket, (line) => socket.write(/^QUIT/i.test(line) ? "221 bye\r\n" : "250 ok\r\n"));
}

/**
 * An IMAP server that reads commands as RFC 9051 §4.3 says: a line ending in `{n}` (`+` after
 * a synchronizing one) is followed by exactly n bytes, and the command ends at the first CRLF
 * outside literals. It answers each whole command with its own tag and keeps what it read.
 */
function strictImap(commands: string[]) {
  return (socket: Socket) => {
    socket.write("* OK strict IMAP ready\r\n");
    let buffer = Buffer.alloc(0);
    let command = "";
    let literalLeft = 0;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (literalLeft > 0) {
          const taken = Math.min(literalLeft, buffer.length);
          if (taken === 0) return;
          command += buffer.subarray(0, taken).toString("latin1");
          buffer = buffer.subarray(taken);
          literalLeft -= taken;
          continue;
        }
        const lf = buffer.indexOf("\r\n");
        if (lf < 0) return;
        const line = buffer.subarray(0, lf).toString("latin1");
        buffer = buffer.subarray(lf + 2);
        command += line;
        const literal = /\{(\d+)(\+?)\}$/.exec(line);
        if (literal) {
          command += "\r\n";
          literalLeft = Number(literal[1]);
          if (!literal[2]) socket.write("+ go ahead\r\n");
          continue;
        }
        commands.push(command);
        const [tag, verb = ""] = command.split(" ");
        command = "";
        if (!tag || !verb) socket.write(`${tag || "*"} BAD Invalid arguments\r\n`);
        else if (/^LOGOUT$/i.test(verb)) socket.end(`* BYE bye\r\n${tag} OK Logout completed.\r\n`);
        else socket.write(`${tag} OK ${verb} completed.\r\n`);
      }
    });
  };
}

describe("the transcript is in wire order", () => {
  test("after a TLS 1.3 STARTTLS the command is shown before the reply that answers it, in 20 runs of 20", async () => {
    const certificates = generateCertificates();
    const server = await startRawServer((socket) => {
      socket.write("220 mx ESMTP\r\n");
      const plain = (chunk: Buffer) => {
        const line = chunk.toString("latin1");
        if (/^EHLO/i.test(line)) socket.write("250-mx\r\n250 STARTTLS\r\n");
        if (!/^STARTTLS/i.test(line)) return;
        socket.removeListener("data", plain);
        socket.write("220 2.0.0 Ready to start TLS\r\n", () => {
          const secure = new TLSSocket(socket, { isServer: true, key: certificates.keyPem, cert: certificates.certPem, minVersion: "TLSv1.3" });
          secure.on("error", () => undefined);
          // The reply goes out the moment the command arrives, before the client's write
          // callback can run.
          onClientLines(secure, (command) => secure.write(/^QUIT/i.test(command) ? "221 bye\r\n" : "250-mx\r\n250 SIZE 1000\r\n"));
        });
      };
      socket.on("data", plain);
    });
    try {
      for (let run = 0; run < 20; run++) {
        const result = await runCli(["run", script("wire-order-tls13"), "--var", `port=${server.port}`]);
        assert.equal(result.code, 0, result.stdout);
        const afterTls = result.stdout.slice(result.stdout.lastIndexOf("C: EHLO client.test"));
        assert.match(afterTls, /^C: EHLO client\.test\nS: 250-mx\nS: 250 SIZE 1000\n/, `run ${run + 1}: the EHLO after STARTTLS is not followed by its reply\n${result.stdout}`);
      }
    } finally {
      await server.close();
    }
  });
});

describe("literals are counted by their bytes", () => {
  test("a literal finished by `send raw` and ended by an empty `send` is one command; MULTIAPPEND continues after a literal", async () => {
    const commands: string[] = [];
    const server = await startRawServer(strictImap(commands));
    try {
      const result = await runCli(["run", script("literal-over-two-lines"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 0, result.stdout);
      assert.deepEqual(commands, ["A1 APPEND box {13}\r\nSubject: hi\r\n", "A2 APPEND box {5}\r\nhello {6}\r\nworld!", "A3 LOGOUT"]);
      // The empty line that ends the first command goes untagged.
      assert.doesNotMatch(result.stdout, /C: A\d+ *\n/);
    } finally {
      await server.close();
    }
  });
});

describe("sized literals inside a line (issue 27)", () => {
  test("MULTIAPPEND's two literals, CATENATE's TEXT before its `)`, BINARY's ~{n}: each counted, each after its `+`", async () => {
    const commands: string[] = [];
    const server = await startRawServer(strictImap(commands));
    try {
      const result = await runCli(["run", script("sized-literals-mid-line"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 0, result.stdout);
      assert.deepEqual(commands, [
        "A1 APPEND box {23}\r\nSubject: one\r\n\r\nfirst\r\n {24}\r\nSubject: two\r\n\r\nsecond\r\n",
        'A2 APPEND box CATENATE (URL "/box/;uid=1/;section=HEADER" TEXT {12}\r\n\r\nnew body\r\n)',
        "A3 APPEND box ~{4}\r\n\x00-\xe4\n",
        "A4 LOGOUT",
      ]);
      assert.match(result.stdout, /C: A2 APPEND box CATENATE \(URL "\/box\/;uid=1\/;section=HEADER" TEXT \{12\}\nS: \+ go ahead\nC: \nC: new body\nC: \)\n/);
    } finally {
      await server.close();
    }
  });
});

describe("completions taken by their tags", () => {
  test("`expect t2 OK` takes t2's completion though t1's is not in; t1's untagged matchers see the whole pipeline's data", async () => {
    const server = await startRawServer((socket) => {
      socket.write("* OK ready\r\n");
      onClientLines(socket, (line) => {
        // t1 is answered after t2, with t2's data first.
        if (/^t2 /.test(line)) socket.write("* STATUS b (MESSAGES 2)\r\nt2 OK done\r\n* STATUS a (MESSAGES 1)\r\nt1 OK done\r\n");
        else if (/LOGOUT/.test(line)) socket.end(`* BYE bye\r\n${line.split(" ")[0]} OK bye\r\n`);
      });
    });
    try {
      const result = await runCli(["run", script("tagged-out-of-order"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 0, result.stdout);
      const swapped = await runCli(["run", "-", "--var", `port=${server.port}`], { input: readFileSync(script("tagged-out-of-order"), "utf8").replace('untagged "* STATUS b (MESSAGES 2)"', 'untagged "* STATUS b (MESSAGES 3)"') });
      assert.equal(swapped.code, 1, swapped.stdout);
      assert.match(swapped.stdout, /expected an untagged response like "\* STATUS b \(MESSAGES 3\)"/);
    } finally {
      await server.close();
    }
  });
});

describe("a tag typed by the user", () => {
  test("goes out as typed, must come back on the completion, and its LOGIN password is masked in every report", async () => {
    const commands: string[] = [];
    const server = await startRawServer(strictImap(commands));
    try {
      for (const reporter of ["pretty", "json", "tap", "junit"]) {
        commands.length = 0;
        const result = await runCli(["run", script("typed-imap-tag"), "--var", `port=${server.port}`, "--reporter", reporter]);
        assert.equal(result.code, 0, result.stdout);
        assert.doesNotMatch(result.stdout, /Sup3r-Secret/, reporter);
        assert.deepEqual(commands, ['a1 LOGIN "alice@mailchat.test" "Sup3r-Secret!"', ". SELECT INBOX", "A2 NOOP", "a2 LOGOUT"]);
      }
      const pretty = await runCli(["run", script("typed-imap-tag"), "--var", `port=${server.port}`]);
      assert.match(pretty.stdout, /C: a1 LOGIN "alice@mailchat\.test" "\*{8}"\n/);
    } finally {
      await server.close();
    }
  });

  test("a completion that carries another tag does not complete the typed one", async () => {
    const server = await startRawServer((socket) => {
      socket.write("* OK ready\r\n");
      onClientLines(socket, () => socket.write("A1 OK not yours\r\n"));
    });
    try {
      const result = await runCli(["run", script("typed-imap-tag"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stdout, /C: a1 LOGIN/);
      assert.match(result.stdout, /no final line|not complete/);
      assert.doesNotMatch(result.stdout, /Sup3r-Secret/);
    } finally {
      await server.close();
    }
  });
});

/** Runs the fixtures against a misbehaving server (`port`) beside a quiet one (`quiet`). */
async function besideQuiet(behaviour: (socket: Socket) => void, fixtures: string[], timeoutMs = 30_000) {
  const other = await startRawServer(behaviour);
  const quiet = await startRawServer(quietSmtp);
  try {
    const results = [];
    for (const fixture of fixtures) results.push(await runCli(["run", script(fixture), "--var", `port=${other.port}`, "--var", `quiet=${quiet.port}`], { timeoutMs }));
    return results;
  } finally {
    await other.close();
    await quiet.close();
  }
}

describe("a session that is not current is bounded and judged", () => {
  test("a flood of SMTP replies nobody asked for fails the run, naming the session, in bounded memory", async () => {
    const [result] = await besideQuiet((socket) => {
      socket.write("220 flood ESMTP\r\n");
      socket.once("data", () => {
        socket.write("250 hello\r\n");
        flood(socket, Buffer.from("250 more\r\n".repeat(10_000)));
      });
    }, ["other-session-smtp-flood"]);
    assert.equal(result!.code, 1, result!.stdout);
    assert.match(result!.stdout, /session `flooded` \(not the one in use\): the server sent \d+ replies that no command asked for/);
    assert.ok(result!.peakMiB < 200, `peak ${result!.peakMiB} MiB`);
    assert.ok(result!.ms < 10_000, `took ${result!.ms} ms`);
  });

  test("an IMAP flood of untagged lines breaks the bounds: reported as mailchat's drop, not the server's close, and fails the run", async () => {
    const [result] = await besideQuiet((socket) => {
      socket.write("* OK ready\r\n");
      onClientLines(socket, (line) => {
        socket.write(`${line.split(" ")[0]} OK done\r\n`);
        flood(socket, Buffer.from("* 1 EXISTS\r\n".repeat(20_000)));
      });
    }, ["other-session-imap-flood"], 60_000);
    assert.equal(result!.code, 1, result!.stdout);
    assert.match(result!.stdout, /session `flooded` \(not the one in use\): .*(lines|bytes)/);
    assert.doesNotMatch(result!.stdout, /\*: session flooded\n\*: closed by server/);
  });

  test("a close by the server of a session not in use fails the run at the end, naming it", async () => {
    const [closed, accepted] = await besideQuiet((socket) => {
      socket.write("220 mx ESMTP\r\n");
      socket.once("data", () => {
        socket.write("250 hello\r\n");
        setTimeout(() => socket.end(), 300);
      });
    }, ["other-session-closed", "other-session-close-accepted"]);
    assert.equal(closed!.code, 1, closed!.stdout);
    assert.match(closed!.stdout, /session `dropped`: the server closed the connection before the script's end after its reply `250 hello`/);
    assert.equal(accepted!.code, 0, accepted!.stdout);
  });
});
