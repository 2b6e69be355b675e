// `data message`: the message built now (src/message/compose.ts) and sent as `data` sends a
// body. The transcript shows it line by line, but an attachment's base64 as one summary line
// a part: its bytes say nothing a person reads, and would bury the headers.
import { readFile } from "node:fs/promises";
import type { Step } from "../../compile/steps.js";
import type { MessageInput } from "../../message/compose.js";
import { encodeData, dotStuff } from "../../protocols/smtp.js";
import type { RunContext } from "../context.js";
import { StepFailure } from "../failures.js";
import { endOfData, goAhead } from "./data.js";

type Send = (line: string) => Promise<void>;

const BASE64_LINE = /^[A-Za-z0-9+/]{60,}={0,2}$|^[A-Za-z0-9+/]+={0,2}$/;

export async function dataMessage(ctx: RunContext, step: Extract<Step, { kind: "data-message" }>, sendCommand: Send): Promise<void> {
  const plan = step.message;
  const read = async (path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new StepFailure({ message: `cannot read ${path}: ${(error as Error).message}`, expected: "a readable file", actual: "", span: step.span });
    }
  };
  const body: string[] = [];
  for (const part of plan.body) body.push("text" in part ? ctx.render(part.text) : (await read(part.file)).toString("utf8"));
  const input: MessageInput = {
    headers: plan.headers.map((h) => ({ name: h.name, value: ctx.renderLine(h.value) })),
    text: body.length > 0 ? body.map((text) => (text.endsWith("\n") ? text : `${text}\n`)).join("") : undefined,
    attachments: [],
    envelope: ctx.current.envelope,
  };
  for (const a of plan.attachments) input.attachments.push({ filename: ctx.renderLine(a.filename), content: await read(a.path), ...(a.contentType ? { contentType: ctx.renderLine(a.contentType) } : {}) });
  let message: Buffer;
  try {
    // Loaded here: nodemailer's composer is set up on load (~4 ms), which runs without it need not pay.
    const { composeMessage } = await import("../../message/compose.js");
    message = await composeMessage(input);
  } catch (error) {
    throw new StepFailure({ message: `the message could not be built: ${(error as Error).message}`, expected: "a message", actual: "", span: step.span });
  }
  const lines = message.toString("utf8").split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  await goAhead(ctx, step.timeoutMs, sendCommand, step.commandSent);
  endOfData(ctx);
  for (const text of shownLines(lines)) ctx.emit({ type: "client", text: ctx.shown(text), secret: false });
  ctx.emit({ type: "client", text: ".", secret: false });
  ctx.lastSent = ".";
  await ctx.write(encodeData(lines), "the message");
}

/** The lines as sent (dot-stuffed), each run of 2 or more base64 lines as one summary line. */
function shownLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let end = i;
    while (end < lines.length && lines[end]!.length > 0 && BASE64_LINE.test(lines[end]!) && (end > i || /^[A-Za-z0-9+/]{60,}/.test(lines[end]!))) end++;
    if (end - i >= 2) {
      const bytes = lines.slice(i, end).reduce((sum, line) => sum + line.length + 2, 0);
      out.push(`(base64: ${end - i} lines, ${bytes} bytes)`);
      i = end - 1;
      continue;
    }
    out.push(dotStuff(lines[i]!));
  }
  return out;
}
