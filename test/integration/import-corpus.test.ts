// The import corpus (test/fixtures/import-corpus/, README there): 35 sessions in the shapes
// public troubleshooting pages paste them, each with its source page. Each imports to the
// script pinned beside it (expected.mailchat, and what import said on standard error and its
// exit status in expected.txt), never with a secret in it. Then every script that compiles runs
// against the sandbox, and the outcome is pinned in sandbox-outcomes.json: a failure there is
// a real difference between the pasted server and the sandbox (a 554 to STARTTLS, a relay
// refusal, a user the sandbox does not have) or an import that is not faithful yet; the
// README's table says which. MAILCHAT_UPDATE_FIXTURES=1 rewrites the pinned files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileScripts, runScripts } from "../../src/run-scripts.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";

const root = join(FIXTURES, "import-corpus");
const names = readdirSync(root).filter((name) => existsSync(join(root, name, "input.txt"))).sort();
const update = process.env.MAILCHAT_UPDATE_FIXTURES === "1";
const PLACEHOLDER_SECRETS = ["cGFzc3dvcmQ=", "secret123", "hunter2", "P@ssw0rd"];

test("the corpus holds at least 25 sessions, each with its source page", () => {
  assert.ok(names.length >= 25, `${names.length} sessions`);
  for (const name of names) assert.match(readFileSync(join(root, name, "source.md"), "utf8"), /Address: https?:\/\//, name);
});

for (const name of names) {
  test(`corpus import: ${name}`, async () => {
    const dir = join(root, name);
    const result = await runCli(["import", join(dir, "input.txt")]);
    const relative = `test/fixtures/import-corpus/${name}/input.txt`;
    const script = result.stdout.split(join(dir, "input.txt")).join(relative);
    const said = `exit ${result.code}\n${result.stderr.split(join(dir, "input.txt")).join(relative)}`;
    if (update) {
      writeFileSync(join(dir, "expected.mailchat"), script);
      writeFileSync(join(dir, "expected.txt"), said);
    }
    assert.equal(script, readFileSync(join(dir, "expected.mailchat"), "utf8"));
    assert.equal(said, readFileSync(join(dir, "expected.txt"), "utf8"));
    for (const secret of PLACEHOLDER_SECRETS) assert.ok(!script.includes(secret), `${secret} reached the script`);
  });
}

test("every corpus script that compiles runs against the sandbox; the outcomes are pinned", async () => {
  const cwd = process.cwd();
  const inputs = names.map((name) => ({ file: join(root, name, "expected.mailchat") }));
  const vars = { host: "mx.mailchat.test" };
  // Imported credentials become ${env.MAILCHAT_PASSWORD}, ${env.MAILCHAT_SECRET_2}, …
  const env = { ...process.env, MAILCHAT_PASSWORD: "alice-sandbox-pw", MAILCHAT_SECRET_2: "alice-sandbox-pw", MAILCHAT_SECRET_3: "alice-sandbox-pw" };
  const compiled = compileScripts(inputs, { vars, env });
  // A script import refused (exit 1: it does not compile, or nothing in the paste read as a
  // session) is not run: an empty script would pass against any server.
  const imported = (file: string) => readFileSync(join(file, "..", "expected.txt"), "utf8").startsWith("exit 0");
  const scripts = compiled.scripts.filter((s) => imported(s.file));
  const invalid = compiled.invalid;
  const outcomes: Record<string, string> = {};
  for (const s of compiled.scripts.filter((s) => !imported(s.file))) outcomes[s.file.split("/").slice(-2)[0]!] = "not run: import exit 1";
  for (const entry of invalid) outcomes[entry.file.split("/").slice(-2)[0]!] = `does not compile: ${entry.result.diagnostics[0]?.message}`;
  const events: RunEvent[] = [];
  await runScripts(scripts.map((s) => ({ file: s.file })), { event: (e) => void events.push(e), finish: () => undefined }, { compile: { vars, env, defaultTimeoutMs: 3_000 }, sandbox: {}, jobs: 4 });
  let current = "";
  for (const event of events) {
    if (event.type === "run-start") current = event.file.split("/").slice(-2)[0]!;
    if (event.type === "step-end" && event.status !== "pass" && !outcomes[current]) outcomes[current] = `line ${event.step.span.line} \`${event.step.source}\`: ${(event.failure?.message ?? event.connectionFailure?.message ?? "").replace(/\d+ ms|:\d{4,5}\b/g, "…")}`;
    if (event.type === "run-end" && event.status === "pass") outcomes[current] = "passes";
  }
  process.chdir(cwd);
  const sorted = Object.fromEntries(Object.entries(outcomes).sort(([a], [b]) => a.localeCompare(b)));
  const file = join(root, "sandbox-outcomes.json");
  if (update) writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
  assert.deepEqual(sorted, JSON.parse(readFileSync(file, "utf8")));
});
