// Chevrotain's grammar validations are skipped at start-up for speed; they run here instead.
import { test } from "node:test";
import assert from "node:assert/strict";

test("the lexer, parser and CST visitor pass Chevrotain's own validations", async () => {
  process.env.MAILCHAT_VALIDATE_GRAMMAR = "1";
  const { Lexer } = await import("../../grammar/chevrotain.js");
  const tokens = await import("../../grammar/tokens.js");
  const lexer = new Lexer({ modes: { statement: tokens.statementModeTokens, line: tokens.lineModeTokens, body: tokens.bodyModeTokens }, defaultMode: "statement" });
  assert.deepEqual(lexer.lexerDefinitionErrors, []);
  const { MailchatParser } = await import("../../grammar/parser.js");
  const parser = new MailchatParser();
  // With validations on, performSelfAnalysis throws on any definition error.
  assert.deepEqual((parser as unknown as { definitionErrors: unknown[] }).definitionErrors, []);
  const { AstBuilder } = await import("../../grammar/visitor.js");
  assert.doesNotThrow(() => new AstBuilder("validation.mailchat"));
});

test("the statement and line modes keep Chevrotain's first-character optimisation", async () => {
  // One pattern that begins with a negated class (`[^\s]`) without start_chars_hint turns it
  // off for its whole mode, and every token then tries every pattern (a long script lexes ~2× slower).
  const { mailchatLexer } = await import("../../grammar/tokens.js");
  const optimized = (mailchatLexer() as unknown as { canModeBeOptimized: Record<string, boolean> }).canModeBeOptimized;
  assert.equal(optimized.statement, true);
  assert.equal(optimized.line, true);
});
