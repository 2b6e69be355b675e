// `bdat` and `bdat file` (RFC 3030): the message in sized chunks, `BDAT n` and the bytes in
// one write, each chunk's 250 checked, `LAST` on the final one, whose reply (one per accepted
// recipient in LMTP) the script's next `expect` takes. No dot-stuffing and no end-of-data
// line: the size says where the chunk ends.
import { createReadStream } from "node:fs";
import type { Step } from "../../compile/steps.js";
import type { RunContext } from "../context.js";
import type { Failure } from "../events.js";
import { StepFailure } from "../failures.js";

/** Without a `chunk` size a file goes in chunks of this size; a `bdat` body in one chunk. */
export const DEFAULT_FILE_CHUNK_BYTES = 1_048_576;

/** The capabilities BDAT needs, checked before a byte of the message is sent. */
function requireOffered(ctx: RunContext, names: string[]): void {
  for (const name of names) {
    if (ctx.capabilities?.has(name)) continue;
    const listed = ctx.capabilities ? ctx.protocol!.describeCapabilities(ctx.capabilities) : "(no EHLO reply read on this connection)";
    const failure: Failure = { message: `the server did not offer ${name}${name === "CHUNKING" ? " (BDAT, RFC 3030)" : " (RFC 3030)"}, so the message was not sent`, expected: `capability ${name}`, actual: listed };
    failure.hint = ctx.capabilities
      ? name === "CHUNKING"
        ? "send the message with `data` instead; Postfix offers CHUNKING from 3.4 unless smtpd_discard_ehlo_keywords lists it"
        : "send the message without BODY=BINARYMIME, with `bdat` (text, CRLF line ends) or `data`"
      : "send EHLO (and its `expect`) before `bdat`: the capabilities say whether BDAT is offered";
    throw new StepFailure(failure);
  }
}

/** Bare LF and bare CR → CRLF, across reads: a CR ending one read may start a CRLF. */
class CrlfNormaliser {
  private pendingCr = false;
  push(chunk: Buffer): Buffer {
    let text = chunk.toString("latin1");
    if (this.pendingCr) text = `\r${text}`;
    this.pendingCr = text.endsWith("\r");
    if (this.pendingCr) text = text.slice(0, -1);
    return Buffer.from(text.replace(/\r\n|\n|\r/g, "\r\n"), "latin1");
  }
  end(): Buffer {
    return this.pendingCr ? Buffer.from("\r\n") : Buffer.alloc(0);
  }
}

/** Cuts a stream of buffers into chunks of exactly `size` bytes (the last may be shorter). */
async function* chunksOf(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const piece of source) {
    let rest = piece;
    while (heldBytes + rest.length >= size) {
      const take = size - heldBytes;
      held.push(rest.subarray(0, take));
      yield Buffer.concat(held);
      held = [];
      heldBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      held.push(rest);
      heldBytes += rest.length;
    }
  }
  if (heldBytes > 0) yield Buffer.concat(held);
}

/** Sends the chunks, one `BDAT` each, the last with `LAST`; `show` says how a chunk is shown. */
async function sendChunks(ctx: RunContext, chunks: AsyncIterable<Buffer>, timeoutMs: number, show: (chunk: Buffer, index: number) => string): Promise<void> {
  let index = 0;
  let previous: Buffer | undefined;
  const send = async (chunk: Buffer, last: boolean) => {
    const command = `BDAT ${chunk.length}${last ? " LAST" : ""}`;
    // The final chunk owes what an end of data owes: one reply, or one per recipient (LMTP).
    const text = ctx.owe(command, command, last ? ctx.session!.endOfData() : 1, false);
    await ctx.write(Buffer.concat([Buffer.from(`${command}\r\n`), chunk]), `\`${command}\``);
    ctx.emit({ type: "client", text, secret: false });
    ctx.emit({ type: "client", text: show(chunk, index), secret: false });
    ctx.lastSent = text;
    index += 1;
    if (last) return;
    const reply = await ctx.take(timeoutMs, "250 (the chunk accepted)", "bdat");
    if (reply.status === "250") return;
    const failure: Failure = { message: `the server refused chunk ${index} (\`${command}\`): expected 250, got ${reply.status ?? "no code"}; the message was not completed`, expected: "250", actual: ctx.shownReply(reply) };
    const hint = ctx.hint({ expected: "250", step: "bdat", reply: ctx.shownLines(reply) });
    if (hint) failure.hint = hint;
    throw new StepFailure(failure);
  };
  // A chunk is sent once the next is known, so the final one carries LAST.
  for await (const chunk of chunks) {
    if (previous) await send(previous, false);
    previous = chunk;
  }
  await send(previous ?? Buffer.alloc(0), true);
}

export async function bdat(ctx: RunContext, step: Extract<Step, { kind: "bdat" }>): Promise<void> {
  requireOffered(ctx, ["CHUNKING"]);
  const lines = step.body.map((line) => ctx.renderLine(line));
  const nul = lines.findIndex((line) => line.includes("\0"));
  if (nul >= 0) throw new StepFailure({ message: `body line ${nul + 1} holds a NUL byte: \`bdat\` sends text, and RFC 5321 §4.5.2 forbids NUL in it; use \`bdat file … binary\` with BODY=BINARYMIME for binary content`, expected: "a body without NUL", actual: ctx.shown(lines[nul]!), span: step.span });
  const message = Buffer.from(lines.map((line) => `${line}\r\n`).join(""), "utf8");
  async function* whole(): AsyncGenerator<Buffer> {
    if (!step.chunkBytes) return void (yield message);
    for (let at = 0; at < message.length; at += step.chunkBytes) yield message.subarray(at, at + step.chunkBytes);
  }
  await sendChunks(ctx, whole(), step.timeoutMs, (chunk) => ctx.book.show(chunk));
}

export async function bdatFile(ctx: RunContext, step: Extract<Step, { kind: "bdat-file" }>): Promise<void> {
  requireOffered(ctx, step.binary ? ["CHUNKING", "BINARYMIME"] : ["CHUNKING"]);
  const name = step.path.split("/").pop();
  const size = step.chunkBytes ?? DEFAULT_FILE_CHUNK_BYTES;
  async function* bytes(): AsyncGenerator<Buffer> {
    const normaliser = new CrlfNormaliser();
    for await (const read of createReadStream(step.path, { highWaterMark: Math.min(size, 1_048_576) }) as AsyncIterable<Buffer>) {
      // BINARYMIME sends the bytes untouched; text goes with CRLF line ends (RFC 3030 §3).
      yield step.binary ? read : normaliser.push(read);
    }
    if (!step.binary) yield normaliser.end();
  }
  let total = 0;
  try {
    await sendChunks(ctx, chunksOf(bytes(), size), step.timeoutMs, (chunk, index) => {
      total += chunk.length;
      return ctx.shown(`(chunk ${index + 1} of ${name}: ${chunk.length} bytes${step.binary ? ", binary" : ""})`);
    });
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    // Nothing ended the message: dropping the connection leaves no partial message.
    await ctx.connection?.destroy();
    ctx.connection = undefined;
    throw new StepFailure({ message: `cannot read ${step.path}: ${(error as Error).message}; the connection was dropped before the last chunk, so no message was delivered`, expected: "a readable message file", actual: `${total} bytes sent` });
  }
}
