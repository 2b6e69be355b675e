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
