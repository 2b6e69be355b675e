// Golden transcripts end to end: record against the sandbox, compare a second run (volatile
// text masked), report drift as a unified diff, refuse a missing file, never store a secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

function scriptCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-golden-"));
  const script = join(dir, "first.mailchat");
  copyFileSync(join(REPO_ROOT, "examples", "first.mailchat"), script);
  return script;
}

test("--update records a golden file that a second run matches, with no secret in it", async () => {
  const script = scriptCopy();
  const recorded = await runCli(["run", "--sandbox", "--golden", "--update", script]);
  assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
  assert.match(recorded.stdout, /golden: recorded/);
  const golden = readFileSync(`${script}.golden`, "utf8");
  assert.match(golden, /^C: \*{8}$/m);
  assert.match(golden, /queued as <queue-id>/);
  assert.match(golden, /UIDVALIDITY <uidvalidity>/);
  assert.doesNotMatch(golden, /alice-sandbox-pw|YWxpY2Utc2FuZGJveC1wdw/);
  assert.deepEqual(readdirSync(join(script, "..")).filter((f) => f.endsWith(".tmp")), [], "no temporary file is left behind");
  const compared = await runCli(["run", "--sandbox", "--golden", script]);
  assert.equal(compared.code, 0, compared.stdout + compared.stderr);
  assert.match(compared.stdout, /golden: transcript matches/);
});

test("a drifted server fails with a unified diff and the --update hint", async () => {
  const script = scriptCopy();
  await runCli(["run", "--sandbox", "--golden", "--update", script]);
  const path = `${script}.golden`;
  writeFileSync(path, readFileSync(path, "utf8").replace("S: 220 mailchat.test ESMTP mailchat sandbox", "S: 220 mailchat.test ESMTP Postfix"));
  const result = await runCli(["run", "--sandbox", "--golden", script]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /^-S: 220 mailchat\.test ESMTP Postfix$/m);
  assert.match(result.stdout, /^\+S: 220 mailchat\.test ESMTP mailchat sandbox$/m);
  assert.match(result.stdout, /run again with --golden --update/);
});

test("a missing golden file is an error before anything is sent, not a pass", async () => {
  const script = scriptCopy();
  const result = await runCli(["run", "--sandbox", "--golden", script]);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /no golden transcript .*record one first with --golden --update/);
  assert.equal(existsSync(`${script}.golden`), false);
});

test("--update refuses to record a failing run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-golden-"));
  const script = join(dir, "fails.mailchat");
  copyFileSync(join(REPO_ROOT, "test", "fixtures", "run", "rejected-password-expect-235.mailchat"), script);
  const result = await runCli(["run", "--sandbox", "--golden", "--update", script]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /not written: the run did not pass/);
  assert.equal(existsSync(`${script}.golden`), false);
});
