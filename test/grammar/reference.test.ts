// The language reference must document everything the parser accepts: a keyword added to the
// grammar without a word in docs/language.md fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allTokens } from "../../grammar/tokens.js";
import { mailchatParser } from "../../grammar/parser.js";
import { REPO_ROOT } from "../helpers/paths.js";

const reference = readFileSync(join(REPO_ROOT, "docs", "language.md"), "utf8");

test("every keyword of the grammar is documented in docs/language.md", () => {
  const keywords = allTokens.map((t) => t.LABEL ?? "").filter((label) => /^`[^`]+`$/.test(label)).map((label) => label.slice(1, -1));
  assert.ok(keywords.length > 30, "the keyword list looks wrong");
  const missing = keywords.filter((keyword) => !new RegExp(`\`[^\`]*\\b${keyword.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}\\b`, "i").test(reference));
  assert.deepEqual(missing, [], `undocumented keywords: ${missing.join(", ")}`);
});

test("every statement rule of the parser has a section in docs/language.md", () => {
  const rules = mailchatParser().getGAstProductions();
  const statements = [...Object.keys(rules)].filter((name) => name.endsWith("Statement")).map((name) => name.replace(/Statement$/, ""));
  const words: Record<string, string> = { sendRaw: "send raw", dataBlock: "data", dataFile: "data file", dataMessage: "data message", starttls: "starttls", bdatBlock: "bdat", bdatFile: "bdat file" };
  const missing = statements.filter((name) => !reference.includes(`### \`${words[name] ?? name}`));
  assert.deepEqual(missing, [], `statements without a section: ${missing.join(", ")}`);
});

test("every matcher form is in the matcher tables", () => {
  for (const form of ["250", "2.1.0", "+OK", "-ERR", "OK", "NO", "BAD", "`+`", "[AUTHENTICATIONFAILED]", "\"text\"", "/regex/", "not", "capability", "within", "closed", "silence", "expect tls refused"]) {
    assert.ok(reference.includes(form), `matcher form ${form} is not documented`);
  }
});
