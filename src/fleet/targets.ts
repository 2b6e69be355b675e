// A targets file: one target a line, for running one script against many servers. A line is
// a host (`mx1.example.com`, set as the variable `host`), NAME=VALUE pairs (`host=mx2
// port=587 user=ops`), or both; `#` starts a comment, blank lines are skipped. A bad line is
// a located error before anything is sent.
import { diagnostic, type Diagnostic } from "../../grammar/diagnostic.js";

export interface Target {
  /** How reports name it: the line as written, trimmed. */
  label: string;
  vars: Record<string, string>;
  line: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseTargets(text: string, file: string): { targets: Target[]; diagnostics: Diagnostic[] } {
  const targets: Target[] = [];
  const diagnostics: Diagnostic[] = [];
  let offset = 0;
  text.split("\n").forEach((raw, index) => {
    const lineStart = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, "");
    const comment = line.search(/(^|\s)#/);
    const content = (comment >= 0 ? line.slice(0, comment) : line).trim();
    if (!content) return;
    const vars: Record<string, string> = {};
    let host: string | undefined;
    const span = (at: number, length: number) => ({ file, line: index + 1, column: at + 1, start: lineStart + at, end: lineStart + at + Math.max(length, 1) });
    for (const match of content.matchAll(/\S+/g)) {
      const word = match[0];
      const at = line.indexOf(content) + match.index;
      const equals = word.indexOf("=");
      if (equals < 0) {
        if (host !== undefined || vars.host !== undefined) {
          diagnostics.push(diagnostic("targets", `a second host \`${word}\` on one line`, span(at, word.length), "one target a line; write further values as NAME=VALUE (host=mx1.example.com port=587)"));
          return;
        }
        host = word;
        continue;
      }
      const name = word.slice(0, equals);
      if (!NAME.test(name)) {
        diagnostics.push(diagnostic("targets", `\`${name || "="}\` is not a variable name`, span(at, Math.max(equals, 1)), "write NAME=VALUE, the name a letter or _ then letters, digits, _ . -"));
        return;
      }
      if (name in vars || (name === "host" && host !== undefined)) {
        diagnostics.push(diagnostic("targets", `\`${name}\` is set twice on this line`, span(at, word.length)));
        return;
      }
      vars[name] = word.slice(equals + 1);
    }
    if (host !== undefined) vars.host = host;
    targets.push({ label: content, vars, line: index + 1 });
  });
  if (targets.length === 0 && diagnostics.length === 0) diagnostics.push(diagnostic("targets", "the targets file lists no target", { file, line: 1, column: 1, start: 0, end: 1 }, "one host or NAME=VALUE set a line"));
  return { targets, diagnostics };
}
