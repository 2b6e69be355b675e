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
