// PIPELINING, CHUNKING/BDAT and the end-of-data probe, run through the CLI against real
// sockets: a small ESMTP server (test/helpers/esmtp-server.ts) for BDAT, the sandbox for the
// smuggling endings. Scripts are fixtures in test/fixtures/depth/, or written beside the
// message a `bdat file` test makes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startEsmtpServer, type EsmtpOptions } from "../helpers/esmtp-server.js";
import { FIXTURES } from "../helpers/paths.js";
import { startRawServer } from "../helpers/raw-server.js";

const script = (name: string) => join(FIXTURES, "depth", `${name}.mailchat`);

async function against(options: EsmtpOptions, name: string, extra: string[] = []) {
  const server = await startEsmtpServer(options);
  try {
    const result = await runCli(["run", script(name), "--var", `port=${server.port}`, ...extra], { timeoutMs: 30_000 });
    return { ...result, server };
  } finally {
    await server.close();
  }
}

describe("pipeline", () => {
  test("sends the group in one write and ties each reply to its command", async () => {
    const { code, stdout, server } = await against({ pipelining: true }, "pipeline");
    assert.equal(code, 0, stdout);
    assert.match(stdout, /\*: pipeline: 4 commands in one write\n.*C: MAIL FROM:<a@mailchat\.test>\n.*C: RCPT TO:<b@mailchat\.test>\n.*C: RCPT TO:<c@mailchat\.test>\n.*C: DATA\n/);
    const write = server.reads.find((read) => read.startsWith("MAIL FROM"));
    assert.equal(write, "MAIL FROM:<a@mailchat.test>\r\nRCPT TO:<b@mailchat.test>\r\nRCPT TO:<c@mailchat.test>\r\nDATA\r\n");
    // `data` after a pipelined DATA sends the body only: one DATA on the wire.
    assert.equal(server.reads.join("").match(/^DATA\r$/gm)?.length, 1);
    assert.match(server.messages[0]!.toString(), /^Subject: pipelined\r\n\r\nHello\.$/);
  });

  test("sends nothing when the server did not offer PIPELINING", async () => {
    const { code, stdout, server } = await against({ pipelining: false }, "pipeline-no-capability");
    assert.equal(code, 1, stdout);
    assert.match(stdout, /the server did not offer PIPELINING, so these 2 commands were not sent in one write/);
    assert.ok(!server.reads.some((read) => read.includes("MAIL FROM")));
  });

  test("a server that hangs up in the middle of a pipeline: the failure names the reply it owed", async () => {
    const server = await startRawServer((socket) => {
      socket.write("220 mx ESMTP\r\n");
      socket.on("data", (chunk: Buffer) => {
        if (/^MAIL/m.test(chunk.toString())) socket.destroy();
        else socket.write("250-mx\r\n250 PIPELINING\r\n");
      });
    });
    try {
      const result = await runCli(["run", script("pipeline-closed"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stdout, /the server closed the connection instead of replying .* \(waiting for the reply to `MAIL FROM:<a@b>`, sent in a pipeline\)/);
    } finally {
      await server.close();
    }
  });

  test("a refused command in the group is named in the failure", async () => {
    const { code, stdout } = await runCli(["run", "--sandbox", script("pipeline-refused")], { timeoutMs: 30_000 });
    assert.equal(code, 1, stdout);
    assert.match(stdout, /expected reply code 250, got 554 \(the reply to `RCPT TO:<b@elsewhere\.example>`, sent in a pipeline\)/);
    assert.match(stdout, /hint: the server will not relay to this recipient/);
  });
});

describe("bdat", () => {
  test("cuts the message in chunks, checks each 250, marks the last LAST", async () => {
    const { code, stdout, server } = await against({ chunking: true }, "bdat-chunks");
    assert.equal(code, 0, stdout);
    assert.deepEqual(server.bdat, ["BDAT 16", "BDAT 16", "BDAT 6 LAST"]);
    assert.equal(server.messages[0]!.toString(), "Subject: chunked\r\n\r\nHello in chunks.\r\n");
    assert.match(stdout, /C: BDAT 16\nC: Subject: chunked\nS: 250 2\.0\.0 16 octets received\nC: BDAT 16\nC: \\r\\n\\r\\nHello in chu\n/);
  });

  test("a file with `binary` goes byte for byte, NUL and bare LF included", async () => {
    const { code, stdout, server } = await against({ chunking: true, binarymime: true }, "bdat-file-binary");
    assert.equal(code, 0, stdout);
    assert.deepEqual(server.bdat, ["BDAT 5", "BDAT 5", "BDAT 1 LAST"]);
    assert.deepEqual(server.messages[0], Buffer.from("ab\ncd\x00\xffef\r\n", "latin1"));
  });

  /** A script in a directory of its own sending FILE with `bdat file … chunk SIZE`, and the file. */
  function bdatFileScript(content: Buffer | ((path: string) => void), chunk: string): { script: string; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), "mailchat-bdat-"));
    const file = join(dir, "message.eml");
    if (typeof content === "function") content(file);
    else writeFileSync(file, content);
    const script = join(dir, "bdat.mailchat");
    writeFileSync(script, ["param port", "connect smtp://127.0.0.1:${port}", "expect 220", "send EHLO client.test", "expect 250 capability CHUNKING", "send MAIL FROM:<a@mailchat.test>", "expect 250", "send RCPT TO:<b@mailchat.test>", "expect 250", `bdat file "message.eml" chunk ${chunk}`, "expect 250", "send QUIT", "expect 221", ""].join("\n"));
    return { script, dir };
  }

  async function runBdatFile(content: Buffer | ((path: string) => void), chunk: string, options: EsmtpOptions) {
    const { script, dir } = bdatFileScript(content, chunk);
    const server = await startEsmtpServer({ chunking: true, ...options });
    try {
      const result = await runCli(["run", script, "--var", `port=${server.port}`], { timeoutMs: 60_000 });
      return { ...result, server };
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("a text file's line ends go as CRLF (LF, CR and CRLF alike), chunks cut at their size whatever the line ends", async () => {
    const { code, stdout, server } = await runBdatFile(Buffer.from("a\nbc\r\n.d\re\r\r\nf\r", "latin1"), "3", {});
    assert.equal(code, 0, stdout);
    assert.equal(server.messages[0]!.toString("latin1"), "a\r\nbc\r\n.d\r\ne\r\n\r\nf\r\n");
    assert.deepEqual(server.bdat, ["BDAT 3", "BDAT 3", "BDAT 3", "BDAT 3", "BDAT 3", "BDAT 3", "BDAT 1 LAST"]);
  });

  test("an empty file is one `BDAT 0 LAST`", async () => {
    const { code, stdout, server } = await runBdatFile(Buffer.alloc(0), "1k", {});
    assert.equal(code, 0, stdout);
    assert.deepEqual(server.bdat, ["BDAT 0 LAST"]);
  });

  test("a file of 80 MB in chunks of 16 MiB: the client's memory holds about one chunk, not several", async () => {
    const megabytes = 80;
    const chunkMiB = 16;
    const writeMessage = (path: string) => {
      const block = Buffer.from(`${"x".repeat(76)}\r\n`.repeat(13_797));
      const fd = openSync(path, "w");
      for (let written = 0; written < megabytes * 1_000_000; written += block.length) writeSync(fd, block);
      closeSync(fd);
    };
    // The same session with a message of a few bytes: the process's own footprint.
    const baseline = await runBdatFile(Buffer.from("Subject: small\r\n\r\nhi\r\n"), `${chunkMiB}m`, { discard: true });
    assert.equal(baseline.code, 0, baseline.stdout);
    const big = await runBdatFile(writeMessage, `${chunkMiB}m`, { discard: true });
    assert.equal(big.code, 0, big.stdout);
    assert.equal(big.server.bdat.length, Math.ceil(big.server.octets[0]! / (chunkMiB * 1_048_576)));
    assert.ok(big.server.octets[0]! >= megabytes * 1_000_000);
    // Measured: about the baseline plus one chunk (it was 7.5 chunks before the chunk buffer
    // was reused). Two chunks over the baseline is the bound.
    if (big.peakMiB > 0 && baseline.peakMiB > 0) assert.ok(big.peakMiB < baseline.peakMiB + 2 * chunkMiB, `peak ${big.peakMiB.toFixed(0)} MiB, baseline ${baseline.peakMiB.toFixed(0)} MiB`);
  });

  test("sends nothing when the server did not offer CHUNKING, or BINARYMIME for `binary`", async () => {
    const plain = await against({}, "bdat-file-binary");
    assert.equal(plain.code, 1, plain.stdout);
    assert.match(plain.stdout, /the server did not offer CHUNKING \(BDAT, RFC 3030\), so the message was not sent/);
    assert.deepEqual(plain.server.bdat, []);
    const binary = await against({ chunking: true }, "bdat-file-binary");
    assert.equal(binary.code, 1, binary.stdout);
    assert.match(binary.stdout, /did not offer BINARYMIME/);
  });
});

describe("probe end-of-data", () => {
  test("the sandbox refuses all nine smuggling endings, each on its own connection", async () => {
    const { code, stdout } = await runCli(["run", "--sandbox", script("smuggling-quick")], { timeoutMs: 60_000 });
    assert.equal(code, 0, stdout);
    const outcomes = stdout.match(/\*: end-of-data probe .*/g) ?? [];
    assert.equal(outcomes.length, 9, stdout);
    for (const outcome of outcomes) assert.match(outcome, /: refused at the end of data \(500 5\.5\.2 Error: bare <(LF|CR)>|<NUL> received\)/);
  });

  test("a server that ends the message on `\\n.\\n` fails the probe, with what to change", async () => {
    const { code, stdout } = await against({ bareLfEndsData: true }, "probe-one");
    assert.equal(code, 1, stdout);
    assert.match(stdout, /\*: end-of-data probe "\\n\.\\n": ends the message/);
    assert.match(stdout, /the server ended the message at "\\n\.\\n" and read what followed as commands/);
    assert.match(stdout, /hint: Postfix: set smtpd_forbid_bare_newline/);
  });

  test("a server that keeps the ending as text passes, as content", async () => {
    const { code, stdout, server } = await against({}, "probe-one");
    assert.equal(code, 0, stdout);
    assert.match(stdout, /: content \(the message ended only at the canonical end\)/);
    assert.match(server.messages[0]!.toString("latin1"), /probe\n\.\nNOOP mailchat-end-of-data-probe$/);
  });
});
