// The TextMate grammar (editors, GitHub-style highlighters) tokenizes like the parser reads:
// scopes pinned per construct, and every example and recipe tokenized without surprises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";
import { REPO_ROOT } from "../helpers/paths.js";

const require = createRequire(import.meta.url);

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = readFileSync(join(require.resolve("vscode-oniguruma"), "..", "onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => vsctm.parseRawGrammar(readFileSync(join(REPO_ROOT, "grammar", "mailchat.tmLanguage.json"), "utf8"), "mailchat.tmLanguage.json"),
  });
  return (await registry.loadGrammar("source.mailchat"))!;
}

const grammarPromise = loadGrammar();

/** Each token of each line with its innermost scope. */
async function tokenize(text: string): Promise<Array<Array<{ text: string; scope: string }>>> {
  const grammar = await grammarPromise;
  let state = vsctm.INITIAL;
  return text.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scope: t.scopes[t.scopes.length - 1]! }));
  });
}

async function scopeOf(source: string, lineIndex: number, text: string): Promise<string | undefined> {
  const lines = await tokenize(source);
  return lines[lineIndex]!.find((t) => t.text === text)?.scope;
}

test("constructs carry their scopes", async () => {
  const source = [
    "# a comment",
    "connect submission://${host} timeout 10s",
    "expect 250|251 2.1.5 capability STARTTLS not \"x\" /queued as (?<q>\\w+)/i within 5s",
    "send MAIL FROM:<${user}> # why",
    "starttls min TLSv1.2",
    "expect +OK",
    "expect NO [AUTHENTICATIONFAILED]",
    "data",
    "expect 250 in the body is not a keyword",
    ".",
    "send raw \"QUIT\\r\\n\"",
  ].join("\n");
  const cases: Array<[number, string, string]> = [
    [0, "# a comment", "comment.line.number-sign.mailchat"],
    [1, "connect", "keyword.control.statement.mailchat"],
    [1, "submission://${host}", "markup.underline.link.mailchat"],
    [1, "10s", "constant.numeric.duration.mailchat"],
    [2, "250|251", "constant.numeric.reply-code.mailchat"],
    [2, "2.1.5", "constant.numeric.enhanced-code.mailchat"],
    [2, "capability", "keyword.other.mailchat"],
    [2, "/queued as (?<q>\\w+)/i", "string.regexp.mailchat"],
    [3, "send", "keyword.control.statement.send.mailchat"],
    [3, "${user}", "variable.other.interpolation.mailchat"],
    [3, "# why", "comment.line.number-sign.mailchat"],
    [4, "TLSv1.2", "constant.language.tls-version.mailchat"],
    [5, "+OK", "constant.language.status.mailchat"],
    [6, "[AUTHENTICATIONFAILED]", "constant.language.response-code.mailchat"],
    [7, "data", "keyword.control.statement.data.mailchat"],
    [8, "expect 250 in the body is not a keyword", "meta.embedded.message.mailchat"],
    [9, ".", "punctuation.terminator.data.mailchat"],
    [10, "raw", "keyword.other.raw.mailchat"],
  ];
  for (const [line, text, scope] of cases) assert.equal(await scopeOf(source, line, text), scope, `${text} on line ${line + 1}`);
});

test("every example and recipe tokenizes: statements start with a keyword, bodies stay bodies", async () => {
  const files = ["examples", "recipes"].flatMap((dir) => readdirSync(join(REPO_ROOT, dir)).filter((f) => f.endsWith(".mailchat")).map((f) => join(REPO_ROOT, dir, f)));
  assert.ok(files.length >= 10);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const lines = await tokenize(text);
    let inBody = false;
    text.split("\n").forEach((line, i) => {
      const first = lines[i]!.find((t) => t.text.trim() !== "");
      if (!first) return;
      if (inBody) {
        if (line.trim() === ".") inBody = false;
        return;
      }
      if (/^\s*(?:data|bdat(?:\s+chunk\s+\S+)?)\s*$/i.test(line)) inBody = true;
      assert.match(first.scope, /^(keyword\.control\.statement|comment\.line)/, `${file}:${i + 1}: ${line}`);
    });
  }
});
