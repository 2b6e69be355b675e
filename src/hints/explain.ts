// `mailchat explain`: the hint for a refusal someone holds (a bounce, a log line, a reply),
// without running a script. The text is read (read/): which recipient, which remote host,
// which reply decided; that reply is matched against the same table a failed step uses, and
// every other code the text holds is shown as context with its registered meaning.
import { ENHANCED_DETAILS, ENHANCED_SUBJECTS } from "./registry.js";
import { matchHint } from "./replies.js";
import { enhancedCodeOf, readText, separateNested, type FoundReply, type Reading } from "./read/index.js";
import type { HintRow } from "./types.js";

export interface ContextCode {
  reply: FoundReply;
  meaning?: string;
}

export interface Explanation {
  reading: Reading;
  /** The deciding reply as matched: without the replies quoted inside it. */
  reply: string[];
  row?: HintRow;
  /** The registry's words for the deciding reply's enhanced status code, when it has one. */
  meaning?: string;
  context: ContextCode[];
}

/** The registry's name and meaning of an enhanced status code ("5.1.1"). */
export function meaningOf(code: string): string | undefined {
  const [, subject, detail] = code.split(".");
  const row = ENHANCED_DETAILS.find((d) => d.code === `x.${subject}.${detail}`);
  if (row) return `${code} "${row.name}" (${row.source}): ${row.meaning}`;
  const group = ENHANCED_SUBJECTS.find((s) => s.subject === Number(subject));
  return group ? `${code}: a "${group.name}" code (${group.source}): ${group.meaning}` : undefined;
}

const statusCode = (reply: FoundReply) => enhancedCodeOf(reply.lines) ?? /^Status: ([245]\.\d{1,3}\.\d{1,3})$/.exec(reply.lines[0] ?? "")?.[1];

export function explainReading(reading: Reading): Explanation {
  const context: ContextCode[] = [];
  const deciding = reading.deciding;
  const { outer, nested } = separateNested(deciding?.lines ?? []);
  for (const quoted of nested) context.push({ reply: { lines: [quoted], from: "a reply quoted inside it" } });
  context.push(...reading.context.map((reply) => ({ reply })));
  for (const item of context) {
    const code = statusCode(item.reply);
    const meaning = code ? meaningOf(code) : undefined;
    if (meaning) item.meaning = meaning;
  }
  const explanation: Explanation = { reading, reply: outer, context };
  if (deciding) {
    const match = (lines: string[]) => matchHint({ protocol: reading.protocol, reply: lines, expected: "", step: "expect", lastSent: "(a command)" });
    let row = match(outer);
    let code = statusCode({ lines: outer, from: deciding.from });
    // The MTA's own words (no reply code) that no row knows: its human-readable part, then its
    // status code — its own summaries of the same failure — still say what kind of failure it
    // was. A quoted reply never stands in: it is about another question (the callout's).
    const summary = reading.context.find((reply) => /^Status: /.test(reply.lines[0] ?? ""));
    const prose = reading.context.find((reply) => reply.from === "the human-readable part");
    if (summary && !code) code = statusCode(summary);
    if (prose && !row) row = match(prose.lines);
    if (summary && !row) row = match(summary.lines);
    if (row) explanation.row = row;
    const meaning = code ? meaningOf(code) : undefined;
    if (meaning) explanation.meaning = meaning;
    // A summary that repeats the deciding code needs no second reading of the registry.
    for (const item of context) {
      if (item.meaning && item.meaning === meaning) {
        delete item.meaning;
        item.reply = { ...item.reply, from: `${item.reply.from}, the same code` };
      }
    }
  }
  return explanation;
}

export async function explainText(text: string): Promise<Explanation[]> {
  return (await readText(text)).map(explainReading);
}
