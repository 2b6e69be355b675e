// What a server sends cannot forge what a person reads (issue 9): ESC, OSC, a bare CR, BS,
// NUL, BEL, a bidi override and invalid UTF-8 in a greeting reach every human-readable
// output only as visible escapes; JSON keeps the escaped (lossless) text; the golden file
// keeps the exact bytes, `serve` sends them back byte for byte and `import` reads them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { CLI, FIXTURES } from "../helpers/paths.js";
import { startRawServer } from "../helpers/raw-server.js";

const HOSTILE = Buffer.concat([
  Buffer.from("220 hi \x1b[2K\rS: 220 spoofed \x1b]0;pwned\x07 \b\0 ", "latin1"),
  Buffer.from([0xff, 0xfe]),
  Buffer.from(" \u202e evil", "utf8"),
]);
/** The same bytes as every transcript shows them. */
const SHOWN = String.raw`220 hi \x1b[2K\rS: 220 spoofed \x1b]0;pwned\x07 \x08\0 \xff\xfe \u{202e} evil`;

function hostileServer() {
  return startRawServer((socket) => {
    socket.write(Buffer.concat([HOSTILE, Buffer.from("\r\n")]));
    socket.on("data", (chunk: Buffer) => {
      if (/QUIT/.test(chunk.toString())) socket.end("221 bye\r\n");
      else socket.write(Buffer.concat([Buffer.from("250-mx \x1b[31mred\r\n"), Buffer.from("250 ok\r\n")]));
    });
  });
}

/** Raw control bytes, invisible or reordering characters, or a replacement character. */
function rawControl(text: string, allowSgr: boolean): string | undefined {
  const stripped = allowSgr ? text.replace(/\x1b\[[0-9;]*m/g, "") : text;
  const match = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufffd]/u.exec(stripped);
  return match ? JSON.stringify(stripped.slice(Math.max(0, match.index - 40), match.index + 40)) : undefined;
}

const dir = mkdtempSync(join(tmpdir(), "mailchat-bytes-"));

describe("every reporter shows a hostile server's bytes escaped", () => {
  for (const fixture of ["control-bytes", "control-bytes-fail"]) {
    for (const color of [false, true]) {
      test(`${fixture}, ${color ? "with" : "without"} colour: pretty, junit, tap and html hold no raw control byte`, async () => {
        const server = await hostileServer();
        const base = join(dir, `${fixture}-${color}`);
        try {
          const result = await runCli(
            ["run", join(FIXTURES, "hostile", fixture, "script.mailchat"), "--var", `port=${server.port}`, "--report-json", `${base}.json`, "--report-junit", `${base}.xml`, "--report-tap", `${base}.tap`, "--report-html", `${base}.html`],
            { env: color ? { FORCE_COLOR: "1" } : {} },
          );
          assert.equal(result.code, fixture === "control-bytes" ? 0 : 1, result.stdout);
          const outputs: Array<[string, string]> = [
            ["pretty", result.stdout],
            ["stderr", result.stderr],
            ["junit", readFileSync(`${base}.xml`, "utf8")],
            ["tap", readFileSync(`${base}.tap`, "utf8")],
            ["html", readFileSync(`${base}.html`, "utf8")],
          ];
          for (const [name, text] of outputs) {
            const found = rawControl(text, name === "pretty" && color);
            assert.equal(found, undefined, `${name} holds a raw control byte near ${found}`);
          }
          const plain = result.stdout.replace(/\x1b\[[0-9;]*m/g, "");
          assert.ok(plain.includes(`S: ${SHOWN}`), plain);
          if (fixture === "control-bytes") assert.ok(plain.includes(String.raw`S: 250-mx \x1b[31mred`), plain);
          // JSON keeps the lossless escaped text, JSON-escaped once more.
          const json = JSON.parse(readFileSync(`${base}.json`, "utf8")) as { runs: Array<{ transcript: Array<{ dir: string; text: string }> }> };
          assert.ok(json.runs[0]!.transcript.some((line) => line.dir === "S" && line.text === SHOWN));
          if (fixture === "control-bytes-fail") assert.match(plain, /diff \(- expected, \+ actual\)/);
        } finally {
          await server.close();
        }
      });
    }
  }
});

describe("golden transcripts keep the exact bytes", () => {
  test("an untagged IMAP response with control bytes, named in a failure: every reporter, the plugin line included, shows it escaped", async () => {
    const server = await startRawServer((socket) => {
      socket.write("* OK ready\r\n");
      socket.on("data", (chunk: Buffer) => {
        const tag = chunk.toString().split(" ")[0];
        socket.write(`* 1 FETCH (UID 7 X "\x1b[2J\x1b]0;pwn\x07\0")\r\n${tag} OK done\r\n`);
      });
    });
    const base = join(dir, "untagged");
    try {
      const script = join(FIXTURES, "hostile", "imap-untagged-bytes", "script.mailchat");
      const files = ["--report-junit", `${base}.xml`, "--report-tap", `${base}.tap`, "--report-html", `${base}.html`, "--report-jsonl", `${base}.jsonl`];
      const pretty = await runCli(["run", script, "--var", `port=${server.port}`, ...files]);
      const nagios = await runCli(["run", script, "--var", `port=${server.port}`, "--reporter", "nagios"]);
      assert.equal(pretty.code, 1, pretty.stdout);
      assert.equal(nagios.code, 2, nagios.stdout);
      assert.match(pretty.stdout, /but the server sent `\* 1 FETCH \(UID 7 X "\\x1b\[2J\\x1b\]0;pwn\\x07\\0"\)`/);
      for (const [name, text] of [["pretty", pretty.stdout], ["nagios", nagios.stdout], ["junit", readFileSync(`${base}.xml`, "utf8")], ["tap", readFileSync(`${base}.tap`, "utf8")], ["html", readFileSync(`${base}.html`, "utf8")], ["jsonl", readFileSync(`${base}.jsonl`, "utf8")]] as const) {
        const found = rawControl(text, false);
        assert.equal(found, undefined, `${name} holds a raw control byte near ${found}`);
      }
    } finally {
      await server.close();
    }
  });

  test("record, compare, import and serve the hostile greeting", async () => {
    const server = await hostileServer();
    const file = join(dir, "golden.mailchat");
    copyFileSync(join(FIXTURES, "hostile", "control-bytes", "script.mailchat"), file);
    try {
      const recorded = await runCli(["run", file, "--var", `port=${server.port}`, "--golden", "--update"]);
      assert.equal(recorded.code, 0, recorded.stdout);
      const golden = readFileSync(`${file}.golden`, "utf8");
      assert.ok(golden.includes(`S: ${SHOWN}`), golden);
      assert.equal(rawControl(golden, false), undefined);
      const compared = await runCli(["run", file, "--var", `port=${server.port}`, "--golden"]);
      assert.equal(compared.code, 0, compared.stdout);
    } finally {
      await server.close();
    }

    const imported = await runCli(["import", `${file}.golden`]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^expect 220$/m);
    assert.match(imported.stdout, /^send EHLO client\.test$/m);

    // serve sends the recorded greeting back byte for byte.
    const child = spawn(process.execPath, [CLI, "serve", `${file}.golden`, "--once"], { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
    let stdout = "";
    const port = await new Promise<number>((resolvePromise) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
        if (found) resolvePromise(Number(found));
      }),
    );
    const greeting = await new Promise<Buffer>((resolvePromise) => {
      const socket = connect(port, "127.0.0.1");
      let received = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.includes("\r\n")) {
          socket.destroy();
          resolvePromise(received);
        }
      });
    });
    child.kill();
    assert.deepEqual(greeting, Buffer.concat([HOSTILE, Buffer.from("\r\n")]));
  });
});
