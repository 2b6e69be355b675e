// `mailchat explain` takes the text as the user holds it: a reply starting with `-`, several
// words, a file, standard input; it says what it read before the cause, and refuses what it
// cannot read with exit 2 and one line saying why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { FIXTURES, REPO_ROOT } from "../helpers/paths.js";

const bounce = join(FIXTURES, "bounces", "unknown-user", "bounce.eml");

test("a reply starting with - is text, not an option", async () => {
  const result = await runCli(["explain", "-ERR [AUTH] Authentication failed."]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^read: +a POP3 reply$/m);
  assert.match(result.stdout, /^reply: +-ERR \[AUTH\] Authentication failed\.$/m);
  assert.match(result.stdout, /^hint: +the server rejected the credentials/m);
});

test("several words starting with - are one text, joined as the shell split them", async () => {
  const result = await runCli(["explain", "-ERR", "[AUTH]", "Authentication", "failed."]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^reply: +-ERR \[AUTH\] Authentication failed\.$/m);
});

test("-h and --help ask for help; -- makes them text; -hello is text", async () => {
  for (const flag of ["-h", "--help"]) {
    const help = await runCli(["explain", flag]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: mailchat explain \[options\] \[text\.\.\.\]/);
    assert.match(help.stdout, /only the exact words --file, -h and --help are options/);
  }
  const quoted = await runCli(["explain", "--", "-h"]);
  assert.match(quoted.stdout, /^reply: +-h$/m);
  assert.equal(quoted.code, 1, "no hint is known for the word -h");
  const hello = await runCli(["explain", "-hello"]);
  assert.match(hello.stdout, /^reply: +-hello$/m);
});

test("the program's -V is not taken from explain's text; mailchat --version still answers", async () => {
  const text = await runCli(["explain", "-Verification failed for <a@example.com>"]);
  assert.match(text.stdout, /^reply: +-Verification failed for <a@example\.com>$/m);
  const version = await runCli(["--version"]);
  assert.match(version.stdout, /^\d+\.\d+\.\d+$/m);
});

test("--file reads a whole bounce and says what it read before the cause", async () => {
  const result = await runCli(["explain", "--file", bounce]);
  assert.equal(result.code, 0, result.stderr);
  const order = ["read", "for", "remote", "action", "reply", "code", "hint", "source", "context"].map((label) => result.stdout.search(new RegExp(`^${label}:`, "m")));
  assert.ok(order.every((at) => at >= 0), result.stdout);
  assert.deepEqual([...order].sort((a, b) => a - b), order, `read, recipient, host and reply come before the cause:\n${result.stdout}`);
  assert.match(result.stdout, /^for: +nobody@rcv\.test$/m);
  assert.match(result.stdout, /^context: +Status: 5\.1\.1 \(Status, the same code\)$/m);
});

test("standard input: none or - as the text", async () => {
  const text = "550-Verification failed for <bad@example.com>\n550-Called:   192.0.2.1\n550-Sent:     RCPT TO:<bad@example.com>\n550-Response: 550 5.1.1 <bad@example.com>: User unknown\n550 Sender verify failed\n";
  for (const args of [["explain"], ["explain", "-"], ["explain", "--file", "-"]]) {
    const result = await runCli(args, { input: text });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^hint: +the server checked the sender address/m, "the outer refusal decides");
    assert.match(result.stdout, /^context: +550 5\.1\.1 <bad@example\.com>: User unknown \(a reply quoted inside it\)$/m);
    assert.doesNotMatch(result.stdout, /^code:/m, "the quoted 5.1.1 is not the deciding code");
  }
});

test("bad input: exit 2 with one line saying why", async () => {
  const missing = await runCli(["explain", "--file", "no-such-bounce.eml"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^mailchat: cannot read no-such-bounce\.eml: /);
  const both = await runCli(["explain", "--file", bounce, "550 x"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either as words or with --file, not both/);
  const empty = await runCli(["explain"], { input: "  \n" });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /explain needs a text/);
  const big = join(mkdtempSync(join(tmpdir(), "mailchat-explain-")), "mbox");
  writeFileSync(big, Buffer.alloc(16 * 1_048_576 + 1, "x"));
  const tooBig = await runCli(["explain", "--file", big]);
  assert.equal(tooBig.code, 2);
  assert.match(tooBig.stderr, /more than 16 MiB/);
  for (const result of [missing, both, empty, tooBig]) assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
});

test("a large text without a reply is answered in bounded time and output", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-explain-"));
  for (const [name, text] of [["one-line", "x".repeat(2_000_000)], ["addresses", "a@".repeat(1_000_000)], ["lines", "no reply here\n".repeat(200_000)]] as const) {
    writeFileSync(join(dir, name), text);
    const result = await runCli(["explain", "--file", join(dir, name)], { timeoutMs: 60_000 });
    assert.equal(result.code, 1, `${name}: ${result.stderr}`);
    assert.ok(result.stdout.length < 30_000, `${name}: ${result.stdout.length} characters written`);
    assert.match(result.stdout, /more (?:characters|lines)\)/);
  }
});

test("the README's explain example is what explain prints", async () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const command = "$ mailchat explain --file test/fixtures/bounces/unknown-user/bounce.eml\n";
  const at = readme.indexOf(command);
  assert.ok(at >= 0, "the README shows explain on a bounce file");
  const shown = readme.slice(at + command.length, readme.indexOf("```", at));
  const result = await runCli(["explain", "--file", "test/fixtures/bounces/unknown-user/bounce.eml"]);
  assert.equal(shown, result.stdout);
});
