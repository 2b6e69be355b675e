// `include` splices another script, found relative to the file that includes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../src/compile/compile.js";
import { runCli } from "../helpers/cli.js";

test("included steps run in place, with their own file in spans", async () => {
  const result = compile("test/fixtures/include/main.mailchat");
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.script!.steps.map((s) => s.kind), ["connect", "expect", "send", "expect", "send", "expect"]);
  assert.match(result.script!.steps[0]!.span.file, /common\/greeting\.mailchat$/);
  const run = await runCli(["run", "--sandbox", "test/fixtures/include/main.mailchat"]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
});

test("a chain of files that each include the next twice fails fast with a located error", () => {
  const started = Date.now();
  const result = compile("test/fixtures/include/doubling/main.mailchat");
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  const error = result.diagnostics.find((d) => d.code === "include-depth" || d.code === "include-size");
  assert.ok(error, JSON.stringify(result.diagnostics.map((d) => d.code)));
  assert.match(error.span!.file, /doubling\/level-\d\d\.mailchat$/);
});

test("a NUL written in a data body is a compile error, nothing is sent", () => {
  const result = compile("nul.mailchat", { source: 'connect smtp://localhost\nexpect 220\ndata\nSubject: x\n\nbefore${nul}after\n.\n', vars: { nul: "\0" } });
  assert.deepEqual(result.diagnostics.map((d) => d.code), ["nul-in-data"]);
});

test("`set NAME secret = VALUE` and `param NAME secret` make their values secrets of the script", () => {
  const result = compile("secret.mailchat", { source: 'param token secret default "tok-123456"\nset password secret = "pw-abcdef"\nset visible = "not-a-secret"\nconnect smtp://localhost\n' });
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual([...result.script!.secrets].sort(), ["pw-abcdef", "tok-123456"]);
  assert.equal(result.script!.params[0]!.value, "********");
});
