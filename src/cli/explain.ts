// `mailchat explain TEXT…`, `--file F` or standard input: what was read (the recipient, the
// remote host, the deciding reply), then the hint a failed step would get, its source, the
// status code's registered meaning, and the other codes the text holds as context.
import { explainText, type Explanation } from "../hints/explain.js";
import { MAX_READINGS } from "../hints/read/index.js";
import { MAX_EXPLAIN_BYTES } from "../limits.js";
import { EXIT } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";
import { readInput } from "./read-bounded.js";

const LABEL = 9;
/** A text without a reply in it may be a whole file: what is shown of it is bounded. */
const SHOWN_LINES = 20;
const SHOWN_CHARS = 1000;

function shown(lines: string[]): string {
  const cut = lines.slice(0, SHOWN_LINES).map((line) => (line.length > SHOWN_CHARS ? `${line.slice(0, SHOWN_CHARS)}… (${(line.length - SHOWN_CHARS).toLocaleString("en")} more characters)` : line));
  if (lines.length > SHOWN_LINES) cut.push(`… (${(lines.length - SHOWN_LINES).toLocaleString("en")} more lines)`);
  return printable(cut.join("\n"));
}
const field = (label: string, value: string) => `${`${label}:`.padEnd(LABEL)}${value.replace(/\n/g, `\n${" ".repeat(LABEL)}`)}`;

function render(explanation: Explanation): string {
  const { reading } = explanation;
  const out = [field("read", reading.format)];
  if (reading.recipient) out.push(field("for", printable(reading.recipient)));
  if (reading.remoteHost) out.push(field(reading.client ? "client" : "remote", printable(reading.remoteHost)));
  if (reading.action) out.push(field("action", reading.action));
  if (reading.deciding) out.push(field("reply", `${shown(explanation.reply)}\n(${reading.deciding.from}: this decided)`));
  if (explanation.meaning) out.push(field("code", explanation.meaning));
  if (reading.action === "sent") out.push(field("hint", "delivered: this line is not a refusal"));
  else if (explanation.row) out.push(field("hint", explanation.row.hint), field("source", explanation.row.source));
  else out.push(field("hint", "none known for this reply; read the server's words above, and its log for the same time"));
  for (const item of explanation.context) out.push(field("context", `${shown(item.reply.lines)} (${item.reply.from})${item.meaning ? `\n${item.meaning}` : ""}`));
  return out.join("\n");
}

/** The text to explain: `--file` (or `-` for standard input), the words given, or standard
 *  input when there are none. Undefined (with the reason written) when it cannot be read. */
function textOf(words: string[], file: string | undefined): string | undefined {
  const source = file ?? (words.length === 0 || (words.length === 1 && words[0] === "-") ? "-" : undefined);
  if (source === undefined) return words.join(" ");
  const input = readInput(source, MAX_EXPLAIN_BYTES, (name) => `${name} holds more than ${MAX_EXPLAIN_BYTES / 1_048_576} MiB, the most explain reads. A bounce message, even with the returned message attached, is smaller: this looks like a mailbox or a whole log. Save the one bounce (or grep the lines for one queue ID) and explain that.`);
  if ("error" in input) {
    process.stderr.write(`${input.error}\n`);
    return undefined;
  }
  const bytes = input.bytes;
  return bytes.toString("utf8");
}

export async function explainCommand(words: string[], options: { file?: string } = {}): Promise<number> {
  if (options.file !== undefined && words.length > 0) {
    process.stderr.write("mailchat: explain takes the text either as words or with --file, not both\n");
    return EXIT.invalid;
  }
  const text = textOf(words, options.file);
  if (text === undefined) return EXIT.invalid;
  if (!text.trim()) {
    process.stderr.write('mailchat: explain needs a text: a reply (mailchat explain "550 5.7.26 …"), a bounce message (--file bounce.eml) or log lines, as words, with --file or on standard input\n');
    return EXIT.invalid;
  }
  const explanations = await explainText(text);
  const shown = explanations.slice(0, MAX_READINGS);
  const parts = shown.map(render);
  if (explanations.length > shown.length) parts.push(`… and ${explanations.length - shown.length} more refusals not shown (explain reads at most ${MAX_READINGS}); give it fewer lines`);
  process.stdout.write(`${parts.join("\n\n")}\n`);
  return explanations.some((e) => e.row || e.meaning || e.reading.action === "sent") ? EXIT.ok : EXIT.expectationFailed;
}
