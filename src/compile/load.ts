// Loading a script: the entry file (or the text given) with every `include` spliced in,
// refusing cycles, unreadable files, chains too deep and scripts that grow too large.
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../../grammar/diagnostic.js";
import { MAX_INCLUDE_DEPTH, MAX_SCRIPT_BYTES } from "../limits.js";

/** A statement and the text of the file it stands in (for its source line). */
export interface Located {
  statement: A.Statement;
  source: string;
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return (error as Error).message;
}

/** Reads the entry file (or `source`) and splices `include`s. */
export function loadStatements(file: string, source: string | undefined, sources: Map<string, string>, diagnostics: Diagnostic[]): Located[] {
  const out: Located[] = [];
  let total = 0;
  let stopped = false;
  const visit = (path: string, text: string, stack: string[]) => {
    sources.set(path, text);
    total += text.length;
    const parsed = parse(text, path);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.script) return;
    for (const statement of parsed.script.statements) {
      if (statement.kind !== "include") {
        out.push({ statement, source: text });
        continue;
      }
      if (stopped) return;
      const target = resolve(dirname(path), statement.path);
      if (stack.length > MAX_INCLUDE_DEPTH) {
        diagnostics.push(diagnostic("include-depth", `\`include\` nested more than ${MAX_INCLUDE_DEPTH} files deep`, statement.span, "an include chain this deep is a loop by another name: flatten it"));
        stopped = true;
        return;
      }
      if (total > MAX_SCRIPT_BYTES) {
        diagnostics.push(diagnostic("include-size", `the script with its includes is larger than ${MAX_SCRIPT_BYTES / 1_048_576} MiB`, statement.span, "a file included many times over (directly or through others) multiplies; include each shared file once"));
        stopped = true;
        return;
      }
      if (stack.includes(target)) {
        diagnostics.push(diagnostic("include-cycle", `\`include\` cycle: ${[...stack, target].map((p) => p.split("/").pop()).join(" → ")}`, statement.span, "an included file must not include the file that includes it"));
        continue;
      }
      let included: string;
      try {
        included = readFileSync(target, "utf8");
      } catch (error) {
        diagnostics.push(diagnostic("include-unreadable", `cannot read included file ${statement.path}: ${describeFsError(error)}`, statement.span, `paths are relative to ${dirname(path)}`));
        continue;
      }
      visit(relative(process.cwd(), target) || target, included, [...stack, target]);
    }
  };
  const entry = resolve(file);
  let text = source;
  if (text === undefined) {
    try {
      text = readFileSync(entry, "utf8");
    } catch (error) {
      diagnostics.push(diagnostic("file-unreadable", `cannot read ${file}: ${describeFsError(error)}`));
      return out;
    }
  }
  visit(file, text, [entry]);
  return out;
}
