// Golden transcripts: FILE.golden beside the script holds the masked transcript of a good
// run; later runs must reproduce it. Lines hold the wire text escaped (src/transcript/
// escape.ts), so control bytes and invalid UTF-8 are kept exactly. Files are written
// atomically by write-file-atomic (a temporary file with a random name, renamed into place,
// removed on failure), so an interrupted --update never leaves half a file or a stale lock.
import { existsSync, readFileSync } from "node:fs";
import { createTwoFilesPatch } from "diff";
import writeFileAtomic from "write-file-atomic";
import type { Mask } from "../compile/steps.js";
import { maskTranscript } from "./masks.js";

export const GOLDEN_HEADER = "# mailchat golden transcript: C: client, S: server, *: events. Regenerate with --golden --update.";

export function goldenPath(scriptFile: string): string {
  return `${scriptFile}.golden`;
}

export function renderGolden(lines: readonly string[], masks: readonly Mask[]): string {
  return `${GOLDEN_HEADER}\n${maskTranscript(lines, masks).join("\n")}\n`;
}

/** Lines of a golden file that take part in the comparison (the header and comments do not). */
function significant(text: string, masks: readonly Mask[]): string[] {
  const lines = text.split(/\r?\n/).filter((line) => line !== "" && !line.startsWith("#"));
  return maskTranscript(lines, masks);
}

export type GoldenOutcome =
  | { status: "match"; path: string }
  | { status: "mismatch"; path: string; diff: string }
  | { status: "missing"; path: string }
  | { status: "written"; path: string; created: boolean };

export function compareGolden(path: string, lines: readonly string[], masks: readonly Mask[]): GoldenOutcome {
  if (!existsSync(path)) return { status: "missing", path };
  const expected = significant(readFileSync(path, "utf8"), masks);
  const actual = maskTranscript(lines, masks);
  if (expected.length === actual.length && expected.every((line, i) => line === actual[i])) return { status: "match", path };
  const diff = createTwoFilesPatch(`${path} (golden)`, `${path} (this run)`, `${expected.join("\n")}\n`, `${actual.join("\n")}\n`, undefined, undefined, { context: 3 });
  return { status: "mismatch", path, diff: diff.split("\n").slice(2).join("\n").replace(/^=+\n/, "") };
}

export function writeGolden(path: string, lines: readonly string[], masks: readonly Mask[]): GoldenOutcome {
  const created = !existsSync(path);
  writeFileAtomic.sync(path, renderGolden(lines, masks));
  return { status: "written", path, created };
}
