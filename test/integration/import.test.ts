// Pasted sessions from knowledge-base articles (Exchange, Postfix, Gmail via swaks, Dovecot,
// Exim) become runnable scripts: the expected script beside each paste, no secret in any.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";

const root = join(FIXTURES, "import");
const SECRETS = ["Password123", "UGFzc3dvcmQxMjM=", "hunter2", "aHVudGVyMg==", "correct horse", "p4ss word", "AGpvaG5AZXhhbXBsZS5vcmcAc2VjcmV0"];

for (const name of readdirSync(root).sort()) {
  test(`import: ${name}`, async () => {
    const dir = join(root, name);
    const result = await runCli(["import", join(dir, "input.txt")]);
    assert.equal(result.code, 0, result.stderr);
    const expectedFile = join(dir, "expected.mailchat");
    const actual = result.stdout.replace(join(dir, "input.txt"), `test/fixtures/import/${name}/input.txt`);
    if (process.env.MAILCHAT_UPDATE_FIXTURES === "1") writeFileSync(expectedFile, actual);
    assert.equal(actual, readFileSync(expectedFile, "utf8"));
    for (const secret of SECRETS) assert.ok(!result.stdout.includes(secret), `${secret} leaked into the script`);
    const check = await runCli(["check", expectedFile], { env: { MAILCHAT_PASSWORD: "x" } });
    assert.equal(check.code, 0, `the imported script does not compile:\n${check.stderr}`);
  });
}

test("import: unplaceable lines are named with their line numbers", async () => {
  const result = await runCli(["import", join(root, "openssl-starttls-postfix", "input.txt")]);
  assert.match(result.stderr, /line 51 not placed .*read R BLOCK/);
});

test("import -o writes the script; a missing input is a clear error", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "mailchat-import-")), "kb.mailchat");
  const written = await runCli(["import", join(root, "exim-open-relay", "input.txt"), "-o", out]);
  assert.equal(written.code, 0, written.stderr);
  assert.match(readFileSync(out, "utf8"), /expect 550/);
  const missing = await runCli(["import", "no-such-paste.txt"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read no-such-paste\.txt: no such file/);
});

test("import round trip: a golden transcript recorded from the sandbox imports into a script that passes against it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-import-"));
  const script = join(dir, "roundtrip.mailchat");
  writeFileSync(script, readFileSync(join(root, "golden-sandbox", "expected.mailchat"), "utf8"));
  const result = await runCli(["run", "--sandbox", script], { env: { MAILCHAT_PASSWORD: "alice-sandbox-pw" } });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

test("import | run -: a pasted session runs straight from standard input", async () => {
  const imported = await runCli(["import", join(root, "golden-sandbox", "input.txt")]);
  const result = await runCli(["run", "--sandbox", "-"], { input: imported.stdout, env: { MAILCHAT_PASSWORD: "alice-sandbox-pw" } });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /✔ \(stdin\): \d+ steps passed/);
});

test("import: a script that does not compile is still written, with why, and exit 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-import-"));
  const paste = join(dir, "paste.txt");
  writeFileSync(paste, "$ telnet mx.example.com 25\n220 mx ESMTP\nQUIT\n221 Bye\nConnection closed by foreign host.\nEHLO again\n");
  const result = await runCli(["import", paste, "-o", join(dir, "out.mailchat")]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /the imported script does not compile yet; fix it by hand/);
  assert.match(result.stderr, /`send` needs a connection, but the connection was closed before it/);
  assert.match(readFileSync(join(dir, "out.mailchat"), "utf8"), /send EHLO again/);
});

// Issue 21, item 6: what a paste holds reaches the terminal and the script only escaped, and
// a paste is bounded (src/limits.ts: MAX_IMPORT_BYTES, MAX_IMPORT_LINES, MAX_IMPORT_LINE_BYTES).

/** A control byte other than LF, DEL or a C1 control: what may never be printed or written raw. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

function scratch(name: string, content: string | Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), "mailchat-import-")), name);
  writeFileSync(file, content);
  return file;
}

test("import: a paste's terminal escapes and CRs reach standard error and the script only escaped", async () => {
  const paste = scratch(
    "escapes.txt",
    [
      "$ telnet mx.example.com 25",
      "220 mx.example.com ESMTP",
      "EHLO me",
      "250 mx.example.com",
      "\x1b]0;owned\x07\x1b[2K\rC: forged",
      "EHLO \x1b[31mred\x1b[0m",
      "MAIL FROM:<a@example.com>\u202e",
      "250 ok",
      "DATA",
      "354 go",
      "Subject: hi\x7f\x08\x08",
      "\u009b2Kbody",
      ".",
      "250 2.0.0 queued",
      "QUIT\r",
      "221 bye",
    ].join("\n"),
  );
  const out = join(paste, "..", "out.mailchat");
  const written = await runCli(["import", paste, "-o", out]);
  const printed = await runCli(["import", paste]);
  const script = readFileSync(out, "utf8");
  for (const [what, text] of Object.entries({ "standard error": written.stderr, "standard output": printed.stdout, "the script": script, "standard error (no -o)": printed.stderr })) {
    assert.doesNotMatch(text, RAW_CONTROL, `${what} holds a raw control byte:\n${JSON.stringify(text)}`);
    assert.doesNotMatch(text, /[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/, `${what} holds a bidi or invisible character`);
  }
  // The CR that would have hidden the line is shown, and the forged text is a comment.
  assert.match(written.stderr, /line 5 not placed .*: \\x1b\]0;owned\\x07\\x1b\[2K\\rC: forged$/m);
  assert.match(script, /^# import: line 5 not placed .*\\x1b\]0;owned\\x07\\x1b\[2K\\rC: forged$/m);
  // Lines whose bytes the terminal drew are not sent; the body line is noted after the block.
  assert.match(script, /^# import: line 6 not placed \(it holds control characters.*\): EHLO \\x1b\[31mred\\x1b\[0m$/m);
  assert.match(script, /^# import: line 7 not placed .*<a@example\.com>\\u\{202e\}$/m);
  assert.match(script, /^\.\n# import: line 11 not placed \(a message line with control characters.*Subject: hi\\x7f\\x08\\x08$/m);
  assert.match(script, /^# import: line 12 not placed .*\\u\{9b\}2Kbody$/m);
  // CRLF line ends are line ends, not text: `QUIT\r` is sent as QUIT.
  assert.match(script, /^send QUIT$/m);
  assert.equal(written.code, 0, written.stderr);
});

test("import: a binary paste is refused or summarised, never echoed", async () => {
  const bytes = Buffer.alloc(240_000);
  let seed = 7;
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = (seed >> 16) & 0xff;
  }
  // With NUL bytes (any binary): refused in one line, nothing written.
  const dir = mkdtempSync(join(tmpdir(), "mailchat-import-"));
  const binary = scratch("blob.bin", bytes);
  const refused = await runCli(["import", binary, "-o", join(dir, "out.mailchat")]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^mailchat: \S+blob\.bin is not text: it holds NUL bytes \(the first on line \d+\)/);
  assert.ok(refused.stderr.length < 500, `${refused.stderr.length} bytes on standard error`);
  assert.throws(() => readFileSync(join(dir, "out.mailchat")));
  // Without NUL (240,000 control and high bytes): a summary, every shown line escaped and cut.
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bytes[i] = 1;
  const noNul = scratch("blob.bin", bytes);
  const summarised = await runCli(["import", noNul, "-o", join(dir, "out.mailchat")]);
  assert.ok(summarised.stderr.length < 8_000, `${summarised.stderr.length} bytes on standard error`);
  assert.match(summarised.stderr, /does not look like text: [\d,]+ of its 240,000 bytes are control bytes or not UTF-8/);
  assert.match(summarised.stderr, /… and [\d,]+ more line\(s\) not placed \([\d,]+ in all\)/);
  assert.match(summarised.stderr, /nothing in this paste reads as the lines of a session/);
  assert.equal(summarised.stderr.match(/^mailchat: line \d+ not placed /gm)?.length, 10);
  assert.doesNotMatch(summarised.stderr, RAW_CONTROL);
  assert.doesNotMatch(readFileSync(join(dir, "out.mailchat"), "utf8"), RAW_CONTROL);
  assert.equal(summarised.code, 1);
});

test("import: a 26 MB paste with a 20 MB line is refused at once, in bounded time and memory", async () => {
  const big = Buffer.alloc(26 * 1_048_576, "A");
  for (let i = 20 * 1_048_576; i < big.length; i += 80) big[i] = 0x0a;
  const paste = scratch("huge.txt", big);
  for (const args of [["import", paste], ["import", "-"]]) {
    const result = await runCli(args, args[1] === "-" ? { input: big.toString("latin1") } : {});
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^mailchat: (?:\S+huge\.txt|standard input) holds more than 2,097,152 bytes \(2 MiB\), the most import reads\. .*\n$/);
    assert.ok(result.stderr.length < 500 && result.stdout === "", result.stderr);
    assert.ok(result.ms < 5_000, `${result.ms} ms`);
    assert.ok(result.peakMiB < 300, `${result.peakMiB} MiB`);
  }
});

test("import: a line or a line count past the limits is refused with where, and a paste near them imports quickly", async () => {
  const session = "$ telnet mx.example.com 25\n220 mx.example.com ESMTP\nEHLO me\n250 ok\n";
  const long = await runCli(["import", scratch("long.txt", `${session}${"\x1b[2K".repeat(25_000)}\nQUIT\n221 bye\n`)]);
  assert.equal(long.code, 2);
  assert.match(long.stderr, /^mailchat: \S+long\.txt line 5 is 100,000 bytes long, more than the 8,192 bytes import reads in one line .*; it begins `\\x1b\[2K\\x1b\[2K.*… \(\d[\d,]* more characters\)`\. No line of a typed session is that long/);
  assert.doesNotMatch(long.stderr, RAW_CONTROL);
  const many = await runCli(["import", scratch("many.txt", `${session}${"NOOP\n250 ok\n".repeat(10_000)}`)]);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /has more than 20,000 lines, the most import reads/);
  // Just under the limits: a message of 19,990 lines of 100 characters, imported whole.
  const body = `${session}MAIL FROM:<a@example.com>\n250 ok\nRCPT TO:<b@example.com>\n250 ok\nDATA\n354 go\n${`${"x".repeat(100)}\n`.repeat(19_980)}.\n250 queued\n`;
  const near = await runCli(["import", scratch("near.txt", body)]);
  assert.equal(near.code, 0, near.stderr);
  assert.equal(near.stdout.split("\n").filter((l) => l === "x".repeat(100)).length, 19_980);
  // ~1.5 s on an idle machine, 5 s with the suite's other tests on two busy CPUs; a line cost
  // that grew with the paste (a backward scan per line, as before) would take minutes.
  assert.ok(near.ms < 15_000, `${near.ms} ms`);
  assert.ok(near.peakMiB < 300, `${near.peakMiB} MiB`);
});
