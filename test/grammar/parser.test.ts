// The design reference's example script parses into the statements it reads as.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseInSlices } from "../../grammar/index.js";
import { mailchatLexer } from "../../grammar/tokens.js";
import { REPO_ROOT } from "../helpers/paths.js";

test("examples/submission.mailchat parses statement by statement", () => {
  const { script, diagnostics } = parse(readFileSync(join(REPO_ROOT, "examples", "submission.mailchat"), "utf8"), "submission.mailchat");
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(script!.statements.map((s) => s.kind), [
    "param", "param", "param", "connect", "expect", "send", "expect", "starttls", "expect-connection", "expect-connection", "send", "expect", "auth", "expect", "send", "expect", "send", "expect", "data", "expect", "send", "expect",
  ]);
  const connect = script!.statements[3]!;
  assert.equal(connect.kind === "connect" && connect.timeoutMs, 10_000);
  const starttls = script!.statements[7]!;
  assert.deepEqual(starttls.kind === "starttls" && starttls.tls.map((o) => o.kind), ["min"]);
});

test("keywords are case-insensitive; arguments keep their case; CRLF scripts parse", () => {
  const { script, diagnostics } = parse("CONNECT smtp://MX.example.com\r\nExpect 250 Capability STARTTLS\r\nSEND Ehlo Client\r\n", "x.mailchat");
  assert.deepEqual(diagnostics, []);
  const [connect, expect, send] = script!.statements;
  assert.equal(connect!.kind === "connect" && connect.url.parts[0]!.kind === "text" && connect.url.parts[0]!.text, "smtp://MX.example.com");
  assert.deepEqual(expect!.kind === "expect" && expect.matchers.map((m) => m.kind), ["code", "capability"]);
  assert.equal(send!.kind === "send" && send.line.parts[0]!.kind === "text" && send.line.parts[0]!.text, "Ehlo Client");
});

test("a send line keeps # unless it follows white space; $${ is a literal ${", () => {
  const { script } = parse("send MAIL FROM:<a#b@x> # comment\nsend X $${y}\n", "x.mailchat");
  const texts = script!.statements.map((s) => (s.kind === "send" ? s.line.parts.map((p) => (p.kind === "text" ? p.text : "?")).join("") : ""));
  assert.deepEqual(texts, ["MAIL FROM:<a#b@x>", "X ${y}"]);
});

test("a send line's blanks: trailing ones dropped, before a sized literal too, and a long run of them parses at once", { timeout: 10_000 }, () => {
  const { script } = parse(`send A \t \nsend APPEND INBOX  \t{"hi"}  \nsend X${" ".repeat(200_000)}Y${" ".repeat(200_000)}\n`, "x.mailchat");
  const [trailing, appended, long] = script!.statements;
  const text = (s: typeof trailing) => (s?.kind === "send" ? s.line.parts.map((p) => (p.kind === "text" ? p.text : "?")).join("") : "");
  assert.equal(text(trailing), "A");
  assert.equal(text(appended), "APPEND INBOX");
  assert.ok(appended?.kind === "send" && appended.literal?.kind === "text" && appended.literal.span.column === 21, "the literal's span begins at its `{`");
  // Each blank of a long run once retried a pattern that may begin with blanks: seconds, not ms.
  assert.equal(text(long), `X${" ".repeat(200_000)}Y`);
});

test("a data body is kept as typed, up to the line holding a single dot", () => {
  const { script } = parse("data\nSubject: x\n\n..two\n# not a comment\n.\n", "x.mailchat");
  const data = script!.statements[0]!;
  assert.deepEqual(data.kind === "data" && data.body.map((t) => t.parts.map((p) => (p.kind === "text" ? p.text : "")).join("")), ["Subject: x", "", "..two", "# not a comment"]);
});

test("a long script is parsed in slices with the same statements, spans and diagnostics as whole", () => {
  // Every construct that spans lines (a data body, a bdat body, a pipeline) repeated past many
  // slice boundaries, so some slice would end inside each if the cut were careless.
  const examples = ["submission.mailchat", "first.mailchat"].map((name) => readFileSync(join(REPO_ROOT, "examples", name), "utf8"));
  const block = [
    examples.join("\n"),
    "connect smtp://mx.example.com",
    "pipeline",
    "  send MAIL FROM:<a@example.com>",
    "",
    "  send RCPT TO:<b@example.com>",
    "end",
    "expect 250",
    "bdat chunk 10",
    "x",
    ".",
    "send raw \"QUIT\\r\\n\"",
    "data",
    "..dot",
    "pipeline",
    ".",
    "close",
    "",
  ].join("\n");
  const long = block.repeat(150);
  const sliced = parse(long, "long.mailchat");
  const whole = parse(long, "long.mailchat", { slices: false });
  assert.deepEqual(sliced.diagnostics, []);
  assert.deepEqual(sliced, whole);
  // …and the slices did parse (a slice that fails falls back to the whole, which would hide it).
  assert.ok(parseInSlices(mailchatLexer().tokenize(long).tokens, "long.mailchat"));
  // An error far down: the same diagnostic, at the same place, either way.
  const broken = `${long}sned EHLO x\n${block}`;
  const slicedError = parse(broken, "long.mailchat");
  assert.equal(slicedError.diagnostics.length, 1);
  assert.deepEqual(slicedError, parse(broken, "long.mailchat", { slices: false }));
  assert.equal(slicedError.diagnostics[0]!.span!.line, long.split("\n").length);
});
