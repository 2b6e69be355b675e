// Replaying a golden transcript as a server: the round trip (record against the sandbox,
// serve the recording, run the same script against it) passes; an edited client line is
// reported as a divergence with its place in the golden file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { serveOnce, type Served } from "../helpers/serve.js";
import { REPO_ROOT } from "../helpers/paths.js";

const serve = (golden: string, ca: string): Promise<Served> => serveOnce(golden, ca, 30_000);

async function recorded(): Promise<{ dir: string; script: string }> {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-serve-"));
  const script = join(dir, "first.mailchat");
  copyFileSync(join(REPO_ROOT, "examples", "first.mailchat"), script);
  const record = await runCli(["run", "--sandbox", "--golden", "--update", script]);
  assert.equal(record.code, 0, record.stdout + record.stderr);
  return { dir, script };
}

test("the same script passes against its own served recording", async () => {
  const { dir, script } = await recorded();
  const served = await serve(`${script}.golden`, join(dir, "ca.pem"));
  const client = await runCli(["run", script, "--var", `host=localhost:${served.port}`, "--ca", served.ca]);
  assert.equal(client.code, 0, client.stdout + client.stderr);
  const server = await served.exit;
  assert.equal(server.code, 0, server.stdout);
  assert.match(server.stdout, /connection 2 matched the recording/);
});

test("an edited client line is reported as a divergence", async () => {
  const { dir, script } = await recorded();
  const edited = join(dir, "edited.mailchat");
  writeFileSync(edited, readFileSync(script, "utf8").replace("send MAIL FROM:<${user}>", "send MAIL FROM:<someone-else@example.org>"));
  const served = await serve(`${script}.golden`, join(dir, "ca.pem"));
  const client = await runCli(["run", edited, "--var", `host=localhost:${served.port}`, "--ca", served.ca]);
  assert.equal(client.code, 1, client.stdout + client.stderr);
  const server = await served.exit;
  assert.equal(server.code, 1, server.stdout);
  assert.match(server.stdout, /connection 1 diverged at .*first\.mailchat\.golden:\d+/);
  assert.match(server.stdout, /expected: C: MAIL FROM:<alice@mailchat\.test>/);
  assert.match(server.stdout, /received: +MAIL FROM:<someone-else@example\.org>/);
});

test("serving a file that is not a golden transcript is a clear error", async () => {
  const result = await runCli(["serve", join(REPO_ROOT, "README.md")]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /holds no recorded connection/);
});
