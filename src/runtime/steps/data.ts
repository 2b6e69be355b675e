// `data` and `data file`: DATA and its 354, the body dot-stuffed with CRLF line ends, one
// canonical end of data. No NUL byte is ever sent (RFC 5321 §4.5.2).
import { createReadStream } from "node:fs";
import type { Step } from "../../compile/steps.js";
import { MAX_BODY_LINE_BYTES } from "../../limits.js";
import { DataEncoder, dotStuff, encodeData } from "../../protocols/smtp.js";
import type { RunContext } from "../context.js";
import type { Failure } from "../events.js";
import { StepFailure } from "../failures.js";

type Send = (line: string) => Promise<void>;

/**
 * DATA and its go-ahead. When the script sent DATA itself (`commandSent`) the 354 was taken
 * by its `expect`, or is still owed and is read here.
 */
export async function goAhead(ctx: RunContext, timeoutMs: number, sendCommand: Send, commandSent = false): Promise<void> {
  const data = ctx.protocol!.dataCommand!;
  if (commandSent && ctx.owed === 0) return;
  if (!commandSent) await sendCommand(data.command);
  const reply = await ctx.take(timeoutMs, data.expected, "data");
  if (data.ready(reply)) return;
  const failure: Failure = { message: `the server refused ${data.command}: expected ${data.expected}, got ${reply.status ?? "no code"}`, expected: data.expected, actual: ctx.shownReply(reply) };
  const hint = ctx.hint({ expected: data.expected, step: "data", reply: ctx.shownLines(reply) });
  if (hint) failure.hint = hint;
  throw new StepFailure(failure);
}

/** The end of data owes one reply, or (LMTP) one per accepted recipient. */
export function endOfData(ctx: RunContext, shown = "."): void {
  ctx.owe(".", shown, ctx.session!.endOfData(), false);
}

export async function data(ctx: RunContext, step: Extract<Step, { kind: "data" }>, sendCommand: Send): Promise<void> {
  const lines = step.body.map((line) => ctx.renderLine(line));
  const nul = lines.findIndex((line) => line.includes("\0"));
  if (nul >= 0) {
    throw new StepFailure({ message: `body line ${nul + 1} holds a NUL byte: \`data\` never sends NUL (RFC 5321 §4.5.2 forbids it in text); use \`send raw\` to test how a server treats one`, expected: "a body without NUL", actual: ctx.shown(lines[nul]!), span: step.span });
  }
  await goAhead(ctx, step.timeoutMs, sendCommand, step.commandSent);
  const long = lines.filter((line) => Buffer.byteLength(line) > MAX_BODY_LINE_BYTES).length;
  if (long > 0) ctx.note(`${long} body line(s) exceed RFC 5321's ${MAX_BODY_LINE_BYTES} octets; many servers reject such messages`);
  endOfData(ctx);
  for (const line of lines.map(dotStuff)) ctx.emit({ type: "client", text: ctx.shown(line), secret: false });
  ctx.emit({ type: "client", text: ".", secret: false });
  ctx.lastSent = ".";
  await ctx.write(encodeData(lines), "the message");
}

export async function dataFile(ctx: RunContext, step: Extract<Step, { kind: "data-file" }>, sendCommand: Send): Promise<void> {
  await goAhead(ctx, step.timeoutMs, sendCommand, step.commandSent);
  // Streamed in chunks: a large message never sits in memory whole.
  const encoder = new DataEncoder();
  const name = step.path.split("/").pop();
  try {
    for await (const chunk of createReadStream(step.path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        // Nothing has ended the data yet: dropping the connection leaves no partial message.
        const line = encoder.lines + 1 + (chunk.subarray(0, nul).toString("latin1").match(/\r\n|\n|\r/g)?.length ?? 0);
        await ctx.connection?.destroy();
        ctx.connection = undefined;
        throw new StepFailure({ message: `line ${line} of ${name} holds a NUL byte: \`data\` never sends NUL (RFC 5321 §4.5.2); the connection was dropped before the end of data, so no message was delivered`, expected: "a message without NUL", actual: ctx.shownBytes(chunk.subarray(Math.max(0, nul - 60), nul + 60)), span: step.span });
      }
      const pieces = encoder.push(chunk);
      // A well-formed chunk comes back whole: sent as it was read, not copied.
      await ctx.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), "the message");
    }
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    throw new StepFailure({ message: `cannot read ${step.path}: ${(error as Error).message}`, expected: "a readable message file", actual: "" });
  }
  const last = encoder.end();
  endOfData(ctx);
  ctx.emit({ type: "client", text: ctx.shown(`(message from ${name}: ${encoder.lines} lines, ${encoder.bytes} bytes)`), secret: false });
  ctx.emit({ type: "client", text: ".", secret: false });
  ctx.lastSent = ".";
  await ctx.write(last, "the end of data");
}
