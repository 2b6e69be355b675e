// Each folder under test/fixtures/compile-errors is a script the compiler must refuse, with
// the exact message a user sees (expected.txt) and optional --var values (vars.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { compile } from "../../src/compile/compile.js";
import { renderDiagnostics } from "../../src/diagnostics/render.js";
import { FIXTURES, REPO_ROOT } from "../helpers/paths.js";

const root = join(FIXTURES, "compile-errors");

for (const name of readdirSync(root).sort()) {
  test(`compile error: ${name}`, () => {
    const dir = join(root, name);
    const varsFile = join(dir, "vars.json");
    const vars = existsSync(varsFile) ? (JSON.parse(readFileSync(varsFile, "utf8")) as Record<string, string>) : {};
    const env = { MAILCHAT_TEST_SET: "set" };
    const script = relative(REPO_ROOT, join(dir, "script.mailchat"));
    const cwd = process.cwd();
    process.chdir(REPO_ROOT);
    try {
      const result = compile(script, { vars, env });
      assert.equal(result.script, undefined, "the compiler accepted a script it must refuse");
      const actual = `${renderDiagnostics(result.diagnostics, (f) => result.sources.get(f), { color: false })}\n`;
      const expectedFile = join(dir, "expected.txt");
      if (process.env.MAILCHAT_UPDATE_FIXTURES === "1") writeFileSync(expectedFile, actual);
      assert.equal(actual, readFileSync(expectedFile, "utf8"));
    } finally {
      process.chdir(cwd);
    }
  });
}
