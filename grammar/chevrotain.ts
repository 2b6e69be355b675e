// Chevrotain, loaded from its single-file bundle: the package's module entry pulls in
// hundreds of lodash-es files and costs ~200 ms of start-up on every run (see
// scripts/bench/startup). Same code, same version; falls back to the entry if the bundle moves.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function load(): Promise<Chevrotain> {
  const entry = createRequire(import.meta.url).resolve("chevrotain"); // …/chevrotain/lib/src/api.js
  const bundle = join(dirname(dirname(entry)), "chevrotain.mjs");
  if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  return import("chevrotain");
}

const chevrotain = await load();
export const { createToken, Lexer, CstParser, createSyntaxDiagramsCode, EOF, LLkLookaheadStrategy } = chevrotain;
