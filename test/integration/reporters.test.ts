// The same run in each report format, through the CLI.
import { test } from "node:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.js";

const failing = "test/fixtures/run/rejected-password-expect-235.mailchat";

test("json: steps, transcript, TLS facts and the failure, with no secret", async () => {
  const result = await runCli(["run", "--sandbox", "--reporter", "json", failing]);
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as { runs: Array<{ status: string; steps: Array<{ status: string; failure?: { message: string; hint?: string } }>; transcript: Array<{ dir: string; text: string }>; tls: Array<{ version: string }> }>; summary: { failed: number } };
  const run = report.runs[0]!;
  assert.equal(run.status, "fail");
  assert.equal(report.summary.failed, 1);
  const failed = run.steps.find((s) => s.status === "fail")!;
  assert.match(failed.failure!.message, /expected reply code 235, got 535/);
  assert.match(failed.failure!.hint!, /credentials/);
  assert.ok(run.tls[0]!.version.startsWith("TLSv1."));
  assert.ok(run.transcript.some((l) => l.dir === "C" && l.text === "AUTH PLAIN ********"));
  assert.doesNotMatch(result.stdout, /not-the-password/);
});

test("json: an invalid script is reported as data too, exit 2", async () => {
  const result = await runCli(["run", "--reporter", "json", "test/fixtures/compile-errors/unknown-variable/script.mailchat"]);
  assert.equal(result.code, 2);
  const report = JSON.parse(result.stdout) as { status: string; errors: Array<{ code: string; span: { line: number } }> };
  assert.equal(report.status, "invalid");
  assert.equal(report.errors[0]!.code, "unknown-variable");
  assert.equal(report.errors[0]!.span.line, 2);
});

test("every reporter reports an invalid script, and --report-junit writes it too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-invalid-"));
  const script = "test/fixtures/compile-errors/unknown-variable/script.mailchat";
  const expectations: Record<string, RegExp> = {
    junit: /<testcase classname="[^"]*unknown-variable\/script\.mailchat" name="2:16 unknown-variable"[^>]*>\s*<error message="`\$\{hots\}` is not defined at this point">/,
    tap: /^not ok 1 - .*script\.mailchat:2:16: `\$\{hots\}` is not defined at this point/m,
    html: /<h2 class="invalid">✘ .*script\.mailchat — invalid/,
    json: /"status": "invalid"/,
    pretty: /✘ .*script\.mailchat: invalid script, nothing was sent/,
  };
  for (const [reporter, pattern] of Object.entries(expectations)) {
    const result = await runCli(["run", "--reporter", reporter, script, "--report-junit", join(dir, `${reporter}.xml`)]);
    assert.equal(result.code, 2, reporter);
    assert.match(result.stdout, pattern, reporter);
    assert.match(result.stderr, /--> .*script\.mailchat:2:16/, reporter);
    assert.match(readFileSync(join(dir, `${reporter}.xml`), "utf8"), /<error message="`\$\{hots\}`/, reporter);
  }
});

test("html: one self-contained page with the failure, its diff and hint, no secret", async () => {
  const result = await runCli(["run", "--sandbox", "--reporter", "html", failing]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^<!doctype html>/);
  assert.match(result.stdout, /mailchat: 0 of 1 script passed/);
  assert.match(result.stdout, /<span class="del">- 235<\/span>/);
  assert.match(result.stdout, /hint: the server rejected the credentials/);
  assert.doesNotMatch(result.stdout, /not-the-password|<script|https?:\/\//);
});

test("junit and tap", async () => {
  const junit = await runCli(["run", "--sandbox", "--reporter", "junit", failing]);
  assert.equal(junit.code, 1);
  assert.match(junit.stdout, /<testsuite name="[^"]+" tests="9" failures="1" errors="0"/);
  assert.match(junit.stdout, /<failure message="expected reply code 235, got 535">/);
  const tap = await runCli(["run", "--sandbox", "--reporter", "tap", failing]);
  assert.equal(tap.code, 1);
  assert.match(tap.stdout, /^TAP version 13$/m);
  assert.match(tap.stdout, /^not ok 9 - .*expect 235$/m);
  assert.match(tap.stdout, /^1\.\.9$/m);
});

test("colour only when asked: FORCE_COLOR adds ANSI codes, NO_COLOR and pipes do not", async () => {
  const plain = await runCli(["run", "--sandbox", "recipes/auth-plain.mailchat"]);
  assert.doesNotMatch(plain.stdout, /\x1b\[/);
  const forced = await runCli(["run", "--sandbox", "recipes/auth-plain.mailchat"], { env: { FORCE_COLOR: "1", NO_COLOR: "" } });
  assert.match(forced.stdout, /\x1b\[/);
});

test("command-line mistakes exit 2 with one clear line", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "examples/first.mailchat", "--var", "novalue"], /expected NAME=VALUE/],
    [["run", "examples/first.mailchat", "--reporter", "xml"], /argument 'xml' is invalid/],
    [["run", "examples/first.mailchat", "--timeout", "ten"], /--timeout takes a duration/],
    [["run", "no-such-script.mailchat"], /cannot read no-such-script\.mailchat: no such file/],
    [["run", "examples/first.mailchat", "--ca", "README.md"], /not a PEM certificate/],
    [["run", "examples/first.mailchat", "--update"], /--update rewrites golden transcripts: use it with --golden/],
    [["run", "--sandbox", "--sandbox-profile", "nope", "examples/first.mailchat"], /unknown sandbox profile `nope`/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
});

test("every example and recipe compiles (`mailchat check`)", async () => {
  const { readdirSync } = await import("node:fs");
  const files = ["examples", "recipes"].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".mailchat")).map((f) => `${dir}/${f}`));
  const result = await runCli(["check", ...files]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.split("\n").filter((l) => l.startsWith("✔")).length, files.length);
});

test("--insecure runs against a self-signed server and says verification is off", async () => {
  const result = await runCli(["run", "--sandbox", "--sandbox-profile", "self-signed", "--insecure", "recipes/auth-plain.mailchat"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /--insecure: certificates are not verified/);
  assert.match(result.stdout, /NOT verified: DEPTH_ZERO_SELF_SIGNED_CERT \(verify off\)/);
});
