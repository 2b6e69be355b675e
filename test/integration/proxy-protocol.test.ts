// `connect … proxy v1|v2 client …`: the PROXY protocol header, read by nodemailer's
// smtp-server (v1, its useProxy option) and by a server here that parses v2 by the spec
// (haproxy's proxy-protocol.txt §2.2) and greets with what it read — before TLS, for smtps.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";
import { startRawServer, type RawServer } from "../helpers/raw-server.js";

const fixture = (name: string) => join(FIXTURES, "proxy", `${name}.mailchat`);
const SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

/** The v2 header at the start of `bytes`, as the spec lays it out, or why it is not one. */
function parseV2(bytes: Buffer): { text: string; length: number } | { error: string } | undefined {
  if (bytes.length < 16) return undefined;
  if (!bytes.subarray(0, 12).equals(SIGNATURE)) return { error: "no v2 signature" };
  if (bytes[12] !== 0x21) return { error: `version/command 0x${bytes[12]!.toString(16)}, not 0x21 (v2 PROXY)` };
  const length = bytes.readUInt16BE(14);
  if (bytes.length < 16 + length) return undefined;
  const family = bytes[13];
  const body = bytes.subarray(16, 16 + length);
  if (family === 0x11 && length === 12) {
    const ip = (at: number) => [...body.subarray(at, at + 4)].join(".");
    return { text: `TCP4 ${ip(0)}:${body.readUInt16BE(8)} -> ${ip(4)}:${body.readUInt16BE(10)}`, length: 16 + length };
  }
  if (family === 0x21 && length === 36) {
    // Compressed as RFC 5952 writes it, so the test compares with what the script wrote.
    const ip = (at: number) => {
      const groups = Array.from({ length: 8 }, (_, i) => body.readUInt16BE(at + 2 * i).toString(16));
      return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");
    };
    return { text: `TCP6 [${ip(0)}]:${body.readUInt16BE(32)} -> [${ip(16)}]:${body.readUInt16BE(34)}`, length: 16 + length };
  }
  return { error: `family/transport 0x${family!.toString(16)} with length ${length}` };
}

/** Reads the header, then speaks just enough SMTP (over TLS when given a certificate). */
function proxyGreeter(tls?: { key: string; cert: string }): (socket: Socket) => void {
  return (socket) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const header = parseV2(buffer);
      if (header === undefined) return;
      socket.off("data", onData);
      if ("error" in header) return void socket.end(`554 ${header.error}\r\n`);
      const rest = buffer.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      const stream: Socket = tls ? new TLSSocket(socket, { isServer: true, key: tls.key, cert: tls.cert }) : socket;
      stream.on("error", () => undefined);
      stream.write(`220 PROXY v2 ${header.text}\r\n`);
      stream.on("data", (line: Buffer) => {
        if (/^QUIT/i.test(line.toString())) stream.end("221 bye\r\n");
        else stream.write("500 only QUIT here\r\n");
      });
    };
    socket.on("data", onData);
  };
}

describe("PROXY protocol", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-proxy-"));
  const certs = generateCertificates({ hosts: ["localhost"] });
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, certs.caPem);
  const seen: Array<{ address: string; port: number }> = [];
  const makeSmtp = () =>
    new SMTPServer({
      useProxy: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      logger: false,
      onConnect(session, callback) {
        seen.push({ address: session.remoteAddress, port: session.remotePort });
        callback();
      },
    });
  const smtp = makeSmtp();
  const smtpOnSocket = makeSmtp();
  const socketPath = join(dir, "smtp");
  let smtpPort = 0;
  let plain: RawServer;
  let secure: RawServer;

  before(async () => {
    await new Promise<void>((resolvePromise) => smtp.listen(0, "127.0.0.1", () => resolvePromise()));
    smtpPort = (smtp.server.address() as { port: number }).port;
    await new Promise<void>((resolvePromise) => smtpOnSocket.listen(socketPath, () => resolvePromise()));
    plain = await startRawServer(proxyGreeter());
    secure = await startRawServer(proxyGreeter({ key: certs.keyPem, cert: certs.certPem }));
  });
  after(async () => {
    await new Promise<void>((resolvePromise) => smtp.close(() => resolvePromise()));
    await new Promise<void>((resolvePromise) => smtpOnSocket.close(() => resolvePromise()));
    await plain.close();
    await secure.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("v1: smtp-server takes the client named in the header for the client; the transcript shows the line sent", async () => {
    const result = await runCli(["run", fixture("v1-smtp"), "--var", `port=${smtpPort}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`\\*: connected to 127\\.0\\.0\\.1:${smtpPort} in \\d+ ms\\n\\*: proxy v1: PROXY TCP4 192\\.0\\.2\\.10 127\\.0\\.0\\.1 5555 ${smtpPort}\\nS: 220 `));
    assert.deepEqual(seen.at(-1), { address: "192.0.2.10", port: 5555 });
  });

  test("v1 over a UNIX socket, with the server address named", async () => {
    const result = await runCli(["run", fixture("v1-socket"), "--var", `socket=${socketPath}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\*: proxy v1: PROXY TCP4 192\.0\.2\.11 127\.0\.0\.1 6000 25\n/);
    assert.deepEqual(seen.at(-1), { address: "192.0.2.11", port: 6000 });
  });

  test("v2: the binary header, parsed by the spec, names the client and the address connected to", async () => {
    const result = await runCli(["run", fixture("v2-greets"), "--var", `port=${plain.port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const port = plain.port.toString(16).padStart(4, "0");
    assert.match(result.stdout, new RegExp(`\\*: proxy v2: PROXY TCP4 client 198\\.51\\.100\\.20:6666 server 127\\.0\\.0\\.1:${plain.port} \\(28 bytes: 0d0a0d0a000d0a515549540a 21 11 000c c6336414 7f000001 1a0a ${port}\\)\\n`));
  });

  test("v2 for an IPv6 client: TCP6, the server named in IPv6", async () => {
    const result = await runCli(["run", fixture("v2-ipv6"), "--var", `port=${plain.port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\*: proxy v2: PROXY TCP6 client \[2001:db8::10\]:5555 server \[2001:db8::25\]:25 \(52 bytes: 0d0a0d0a000d0a515549540a 21 21 0024 20010db8000000000000000000000010 20010db8000000000000000000000025 15b3 0019\)/);
  });

  test("v2 before implicit TLS: the header first, then the handshake, and the certificate still verified", async () => {
    const result = await runCli(["run", fixture("v2-smtps"), "--var", `port=${secure.port}`, "--ca", caFile]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\*: proxy v2: PROXY TCP4 client 203\.0\.113\.7:7000 server 127\.0\.0\.1:465 .*\n\*: tls TLSv1\.3 /);
  });

  // swaks writes PROXY headers too (--proxy-version …): for the same fields, the same bytes.
  const headers: Array<{ version: "1" | "2"; client: string; server: string; swaks: string[] }> = [
    { version: "1", client: "192.0.2.10:5555", server: "198.51.100.25:25", swaks: ["--proxy-family", "TCP4", "--proxy-source", "192.0.2.10", "--proxy-source-port", "5555", "--proxy-dest", "198.51.100.25", "--proxy-dest-port", "25"] },
    // swaks writes IPv6 hex digits in capitals, mailchat in small letters (the spec takes both).
    { version: "1", client: "[2001:2::10]:5555", server: "[2001:2::25]:25", swaks: ["--proxy-family", "TCP6", "--proxy-source", "2001:2::10", "--proxy-source-port", "5555", "--proxy-dest", "2001:2::25", "--proxy-dest-port", "25"] },
    { version: "2", client: "192.0.2.10:5555", server: "198.51.100.25:25", swaks: ["--proxy-family", "AF_INET", "--proxy-source", "192.0.2.10", "--proxy-source-port", "5555", "--proxy-dest", "198.51.100.25", "--proxy-dest-port", "25"] },
    // (Not an IPv4-mapped address: swaks reads the dotted tail of ::ffff:192.0.2.1 as hex
    // groups; test/unit/proxy-header.test.ts pins that form against RFC 4291 §2.5.5.2.)
    { version: "2", client: "[2001:db8::10]:65535", server: "[fe80::1:2]:1", swaks: ["--proxy-family", "AF_INET6", "--proxy-source", "2001:db8::10", "--proxy-source-port", "65535", "--proxy-dest", "fe80::1:2", "--proxy-dest-port", "1"] },
  ];
  for (const header of headers) {
    test(`v${header.version} ${header.client} → ${header.server}: the same bytes as swaks sends`, { skip: !existsSync("/usr/bin/swaks") && "swaks is not installed" }, async () => {
      const received: Buffer[] = [];
      // Everything a client sends before its QUIT: the header (the greeting waits for it).
      const recorder = await startRawServer((socket) => {
        let bytes = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => {
          if (bytes.length === 0) socket.write("220 recorder\r\n");
          bytes = Buffer.concat([bytes, chunk]);
          const quit = bytes.indexOf("QUIT\r\n");
          if (quit < 0) return;
          received.push(bytes.subarray(0, quit));
          socket.end("221 bye\r\n");
        });
      });
      try {
        const ours = await runCli(["run", fixture("header-only"), "--var", `port=${recorder.port}`, "--var", `version=v${header.version}`, "--var", `client=${header.client}`, "--var", `server=${header.server}`]);
        assert.equal(ours.code, 0, ours.stdout + ours.stderr);
        // Not spawnSync: the recorder answers from this process's event loop.
        const theirs = await new Promise<{ code: number | null; output: string }>((resolvePromise) => {
          const child = spawn("swaks", ["--server", `127.0.0.1:${recorder.port}`, "--quit-after", "connect", "--proxy-version", header.version, ...header.swaks], { timeout: 30_000 });
          let output = "";
          child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
          child.on("close", (code) => resolvePromise({ code, output }));
        });
        assert.equal(theirs.code, 0, theirs.output);
        assert.equal(received.length, 2);
        assert.equal(received[0]!.toString("hex"), received[1]!.toString("hex"));
      } finally {
        await recorder.close();
      }
    });
  }

  test("an IPv6 client over an IPv4 connection without `server`: the step fails, saying why, and nothing is sent", async () => {
    const result = await runCli(["run", fixture("v2-family-mismatch"), "--var", `port=${plain.port}`]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /the PROXY header names the client 2001:db8::10 \(IPv6\), but the connection went to 127\.0\.0\.1 \(IPv4\): a header names both in one family/);
    assert.match(result.stdout, /hint: name the server address in the client's family: `proxy v2 client … server \[::1\]:25`/);
    assert.doesNotMatch(result.stdout, /\*: proxy v2/);
  });
});
