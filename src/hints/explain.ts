// `mailchat explain`: the hint for a reply someone holds (a bounce, a log line), without
// running a script. The reply is read as the protocol that wrote it and matched against the
// same table a failed step uses.
import { ENHANCED_DETAILS, ENHANCED_SUBJECTS } from "./registry.js";
import { matchHint } from "./replies.js";
import type { HintRow } from "./types.js";

export interface Explanation {
  /** The reply as read: from its first line with a code or status. */
  reply: string[];
  protocol: string;
  row?: HintRow;
  /** The registry's words for the reply's enhanced status code, when it has one. */
  meaning?: string;
}

const SMTP_LINE = /\b([245]\d\d)([ -])([245]\.\d{1,3}\.\d{1,3})?/;

export function explainReply(text: string): Explanation {
  let lines = text
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  let protocol = "smtp";
  if (lines.some((line) => /^[+-](?:OK|ERR)\b/.test(line))) protocol = "pop3";
  else if (lines.some((line) => /^(?:\*|[A-Za-z0-9.]+) (?:OK|NO|BAD|BYE)\b/.test(line))) protocol = "imap";
  else {
    // A bounce quotes the reply inside prose ("Remote server returned '550 5.7.26 …'"):
    // read it from its code on.
    const first = lines.findIndex((line) => SMTP_LINE.test(line));
    if (first >= 0) {
      const at = SMTP_LINE.exec(lines[first]!)!.index;
      lines = [lines[first]!.slice(at).replace(/['")\]]+$/, ""), ...lines.slice(first + 1).filter((line) => /^\d{3}[ -]/.test(line))];
    }
  }
  const explanation: Explanation = { reply: lines, protocol };
  const row = matchHint({ protocol, reply: lines, expected: "", step: "expect", lastSent: "(a command)" });
  if (row) explanation.row = row;
  const code = /\b[245]\.(\d{1,3})\.(\d{1,3})\b/.exec(lines.join("\n"));
  if (code) {
    const detail = ENHANCED_DETAILS.find((d) => d.code === `x.${code[1]}.${code[2]}`);
    const subject = ENHANCED_SUBJECTS.find((s) => s.subject === Number(code[1]));
    if (detail) explanation.meaning = `${code[0]} "${detail.name}" (${detail.source}): ${detail.meaning}`;
    else if (subject) explanation.meaning = `${code[0]}: a "${subject.name}" code (${subject.source}): ${subject.meaning}`;
  }
  return explanation;
}
