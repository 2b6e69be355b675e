// The published diagrams are the parser's own: regenerate with `npm run diagrams`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DIAGRAMS_PATH, diagramsHtml } from "../../scripts/diagrams.js";

test("docs/grammar/diagrams.html matches the parser", () => {
  assert.equal(readFileSync(DIAGRAMS_PATH, "utf8"), diagramsHtml(), "the grammar changed: run `npm run diagrams` and commit docs/grammar/diagrams.html");
});
