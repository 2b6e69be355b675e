// Railroad diagrams of the grammar, generated from the real parser (never drawn by hand):
// `npm run diagrams` writes docs/grammar/diagrams.html; a test keeps it in step.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyntaxDiagramsCode } from "../grammar/chevrotain.js";
import { mailchatParser } from "../grammar/parser.js";

export const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
export const DIAGRAMS_PATH = join(ROOT, "docs", "grammar", "diagrams.html");

export function diagramsHtml(): string {
  return createSyntaxDiagramsCode(mailchatParser().getSerializedGastProductions());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(DIAGRAMS_PATH), { recursive: true });
  writeFileSync(DIAGRAMS_PATH, diagramsHtml());
  console.log(`wrote ${DIAGRAMS_PATH}`);
}
