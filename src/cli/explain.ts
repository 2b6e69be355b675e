// `mailchat explain "550 5.7.26 …"` (or the reply on standard input): the hint a failed step
// would get, with its source and the registry's meaning of the status code.
import { explainReply } from "../hints/explain.js";
import { EXIT } from "../runtime/events.js";
import { printable } from "../transcript/escape.js";

export async function explainCommand(words: string[]): Promise<number> {
  let text = words.join(" ");
  if (words.length === 0 || (words.length === 1 && words[0] === "-")) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  }
  if (!text.trim()) {
    process.stderr.write("mailchat: explain needs a reply: mailchat explain \"550 5.7.26 …\", or paste it on standard input\n");
    return EXIT.invalid;
  }
  const explanation = explainReply(text);
  const out = [`reply:   ${printable(explanation.reply.join("\n         "))}`];
  if (explanation.meaning) out.push(`code:    ${explanation.meaning}`);
  if (explanation.row) out.push(`hint:    ${explanation.row.hint}`, `source:  ${explanation.row.source}`);
  else out.push("hint:    none known for this reply; read the server's words above, and its log for the same time");
  process.stdout.write(`${out.join("\n")}\n`);
  return explanation.row || explanation.meaning ? EXIT.ok : EXIT.expectationFailed;
}
