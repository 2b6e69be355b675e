// POP3 and IMAP against servers that real ones cannot easily be made into: a missing tagged
// completion, a literal shorter than announced, an endless untagged stream, a TLS port that
// speaks plaintext. Each must end in a bounded, clear failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { runCli } from "../helpers/cli.js";
import { startRawServer } from "../helpers/raw-server.js";

const fixture = (name: string) => `test/fixtures/run/${name}.mailchat`;

function onCommand(socket: Socket, handler: (line: string) => void): void {
  let buffer = "";
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      handler(buffer.slice(0, newline).replace(/\r$/, ""));
      buffer = buffer.slice(newline + 1);
    }
  });
}

test("IMAP: a server that never sends the tagged completion fails the step after its time", async () => {
  const server = await startRawServer((socket) => {
    socket.write("* OK ready\r\n");
    onCommand(socket, () => socket.write("* 3 EXISTS\r\n* 0 RECENT\r\n"));
  });
  try {
    const result = await runCli(["run", fixture("imap-select"), "--var", `port=${server.port}`]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /the reply was not complete after 2 s \(no final line\)/);
    assert.match(result.stdout, /C: A1 SELECT INBOX/);
  } finally {
    await server.close();
  }
});

test("IMAP: a literal that announces more bytes than it sends, then a close, is reported as a cut reply", async () => {
  const server = await startRawServer((socket) => {
    socket.write("* OK ready\r\n");
    onCommand(socket, () => socket.end("* 1 FETCH (BODY[] {5000}\r\nSubject: short\r\n"));
  });
  try {
    const result = await runCli(["run", fixture("imap-fetch"), "--var", `port=${server.port}`]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /closed the connection in the middle of a reply/);
  } finally {
    await server.close();
  }
});

test("IMAP: an endless untagged stream is cut off at the reply limit", async () => {
  const server = await startRawServer((socket) => {
    socket.write("* OK ready\r\n");
    onCommand(socket, () => {
      const chunk = Buffer.from(`* OK ${"x".repeat(8000)}\r\n`.repeat(64));
      const pump = () => {
        while (!socket.destroyed) if (!socket.write(chunk)) return void socket.once("drain", pump);
      };
      pump();
    });
  });
  try {
    const result = await runCli(["run", fixture("imap-select-flood"), "--var", `port=${server.port}`], { timeoutMs: 90_000 });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /more than 67108864 bytes without completing the command/);
  } finally {
    await server.close();
  }
});

test("POP3 over IPv6: a RETR list that never ends in '.' fails after its time", async () => {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.write("+OK ready\r\n");
    onCommand(socket, () => socket.write("+OK 100 octets\r\nSubject: never ends\r\n"));
  });
  const port = await new Promise<number>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(0, "::1", () => resolvePromise((server.address() as { port: number }).port));
  }).catch(() => undefined);
  if (port === undefined) return; // no IPv6 loopback on this machine
  try {
    const result = await runCli(["run", fixture("pop3-retr"), "--var", `port=${port}`]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /connect pop3:\/\/\[::1\]:\d+/);
    assert.match(result.stdout, /the reply was not complete after 2 s/);
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
});

test("POP3: a multi-line UIDL reply is read to its '.', dot-unstuffed, lines that look like commands included", async () => {
  const server = await startRawServer((socket) => {
    socket.write("+OK ready\r\n");
    onCommand(socket, (line) => {
      if (line === "UIDL") socket.write("+OK\r\n1 abc\r\n..A1 OK\r\n2 def\r\n.\r\n");
      if (line === "QUIT") socket.end("+OK bye\r\n");
    });
  });
  try {
    const result = await runCli(["run", fixture("pop3-uidl"), "--var", `port=${server.port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  } finally {
    await server.close();
  }
});

test("a plaintext server on a TLS port gets the precise hint", async () => {
  const server = await startRawServer((socket) => socket.write("220 plain.example ESMTP\r\n"));
  try {
    const result = await runCli(["run", fixture("smtps-on-plaintext-port"), "--var", `port=${server.port}`]);
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /answered in plaintext on a TLS connection.*smtp:\/\/ or submission:\/\/ with `starttls`/);
  } finally {
    await server.close();
  }
});
