// `bdat` and `bdat file` (RFC 3030): the message in sized chunks, each `BDAT n` line and its
// bytes sent together, each chunk's 250 checked, `LAST` on the final one, whose reply (one per
// accepted recipient in LMTP) the script's next `expect` takes. No dot-stuffing and no
// end-of-data line: the size says where the chunk ends. A file goes through one chunk buffer,
// used again for each chunk: memory holds one chunk, however large the message.
import { open } from "node:fs/promises";
import type { Step } from "../../compile/steps.js";
import { DataEncoder } from "../../protocols/smtp.js";
import type { RunContext } from "../context.js";
import type { Failure } from "../events.js";
import { StepFailure } from "../failures.js";

/** Without a `chunk` size a file goes in chunks of this size; a `bdat` body in one chunk. */
export const DEFAULT_FILE_CHUNK_BYTES = 1_048_576;

/** A file is read, and a chunk written, this much at a time. */
const PIECE_BYTES = 256 * 1024;

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

/** Room before a chunk's bytes for its `BDAT n [LAST]` line, written there when it is sent. */
const COMMAND_ROOM = 32;

/** A chunk's bytes, valid until the next chunk is asked for (its buffer is used again). */
interface Chunk {
  /** COMMAND_ROOM bytes, then the chunk's. */
  buffer: Buffer;
  bytes: Buffer;
  /** No byte follows it: the chunk that carries LAST. */
  last: boolean;
}

/**
 * Cuts a stream of buffers into chunks of exactly `size` bytes (the last may be shorter),
 * copied into one buffer that every chunk reuses, so a message of any length holds one chunk
 * in memory. A full chunk is given once a byte after it is known, so whether it is the last
 * is known without reading the next chunk first. The pieces may be reused by their source
 * once the next are asked for: each is copied before then.
 */
async function* chunksOf(source: AsyncIterable<readonly Buffer[]> | Iterable<readonly Buffer[]>, size: number): AsyncGenerator<Chunk> {
  let buffer: Buffer | undefined;
  let filled = 0;
  const chunk = (last: boolean): Chunk => {
    buffer ??= Buffer.allocUnsafe(COMMAND_ROOM);
    return { buffer, bytes: buffer.subarray(COMMAND_ROOM, COMMAND_ROOM + filled), last };
  };
  for await (const pieces of source) {
    for (const piece of pieces) {
      let at = 0;
      while (at < piece.length) {
        if (filled === size) {
          yield chunk(false);
          filled = 0;
        }
        buffer ??= Buffer.allocUnsafe(COMMAND_ROOM + size);
        // TypedArray#set: a file with bare LFs comes as two pieces a line, and set() copies
        // a short piece several times faster than Buffer#copy.
        const copied = Math.min(piece.length - at, size - filled);
        buffer.set(at === 0 && copied === piece.length ? piece : piece.subarray(at, at + copied), COMMAND_ROOM + filled);
        filled += copied;
        at += copied;
      }
    }
  }
  yield chunk(true);
}

/** A file's bytes, read into one buffer used again for each read. */
async function* reads(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(size);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, size, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Sends the chunks, one `BDAT` each, the last with `LAST`; `show` says how a chunk is shown. */
async function sendChunks(ctx: RunContext, chunks: AsyncIterable<Chunk>, timeoutMs: number, show: (chunk: Chunk, index: number) => string): Promise<void> {
  let index = 0;
  for await (const chunk of chunks) {
    const command = `BDAT ${chunk.bytes.length}${chunk.last ? " LAST" : ""}`;
    // The final chunk owes what an end of data owes: one reply, or one per recipient (LMTP).
    const text = ctx.owe(command, command, chunk.last ? ctx.session!.endOfData() : 1, false);
    // The command is written into the room before the bytes, and the whole goes out a slice
    // at a time, each write awaited: the socket (and TLS) holds one slice, nothing is copied.
    const line = `${command}\r\n`;
    const from = COMMAND_ROOM - line.length;
    chunk.buffer.write(line, from, "latin1");
    const wire = chunk.buffer.subarray(from, COMMAND_ROOM + chunk.bytes.length);
    // Shown as it goes to the socket: the server may answer before the last write's callback.
    ctx.emit({ type: "client", text, secret: false });
    ctx.emit({ type: "client", text: show(chunk, index), secret: false });
    ctx.lastSent = text;
    for (let at = 0; at < wire.length; at += PIECE_BYTES) await ctx.write(wire.subarray(at, at + PIECE_BYTES), `\`${command}\``);
    index += 1;
    if (chunk.last) return;
    const reply = await ctx.take(timeoutMs, "250 (the chunk accepted)", "bdat");
    if (reply.status === "250") continue;
    const failure: Failure = { message: `the server refused chunk ${index} (\`${command}\`): expected 250, got ${reply.status ?? "no code"}; the message was not completed`, expected: "250", actual: ctx.shownReply(reply) };
    const hint = ctx.hint({ expected: "250", step: "bdat", reply: ctx.shownLines(reply) });
    if (hint) failure.hint = hint;
    throw new StepFailure(failure);
  }
}

export async function bdat(ctx: RunContext, step: Extract<Step, { kind: "bdat" }>): Promise<void> {
  requireOffered(ctx, ["CHUNKING"]);
  const lines = step.body.map((line) => ctx.renderLine(line));
  const nul = lines.findIndex((line) => line.includes("\0"));
  if (nul >= 0) throw new StepFailure({ message: `body line ${nul + 1} holds a NUL byte: \`bdat\` sends text, and RFC 5321 §4.5.2 forbids NUL in it; use \`bdat file … binary\` with BODY=BINARYMIME for binary content`, expected: "a body without NUL", actual: ctx.shown(lines[nul]!), span: step.span });
  const message = Buffer.from(lines.map((line) => `${line}\r\n`).join(""), "utf8");
  // Without a `chunk` size the body goes in one chunk.
  const chunks = chunksOf([[message]], step.chunkBytes ?? Math.max(message.length, 1));
  await sendChunks(ctx, chunks, step.timeoutMs, (chunk) => ctx.book.show(chunk.bytes));
}

export async function bdatFile(ctx: RunContext, step: Extract<Step, { kind: "bdat-file" }>): Promise<void> {
  requireOffered(ctx, step.binary ? ["CHUNKING", "BINARYMIME"] : ["CHUNKING"]);
  const name = step.path.split("/").pop();
  const size = step.chunkBytes ?? DEFAULT_FILE_CHUNK_BYTES;
  async function* bytes(): AsyncGenerator<readonly Buffer[]> {
    // Line ends made CRLF in the buffers as read: no dot-stuffing, no end-of-data line.
    const encoder = new DataEncoder(false);
    for await (const read of reads(step.path, PIECE_BYTES)) {
      // BINARYMIME sends the bytes untouched; text goes with CRLF line ends (RFC 3030 §3).
      yield step.binary ? [read] : encoder.push(read);
    }
    if (!step.binary) yield [encoder.end()];
  }
  let total = 0;
  try {
    await sendChunks(ctx, chunksOf(bytes(), size), step.timeoutMs, (chunk, index) => {
      total += chunk.bytes.length;
      return ctx.shown(`(chunk ${index + 1} of ${name}: ${chunk.bytes.length} bytes${step.binary ? ", binary" : ""})`);
    });
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    // Nothing ended the message: dropping the connection leaves no partial message.
    await ctx.connection?.destroy();
    ctx.connection = undefined;
    throw new StepFailure({ message: `cannot read ${step.path}: ${(error as Error).message}; the connection was dropped before the last chunk, so no message was delivered`, expected: "a readable message file", actual: `${total} bytes sent` });
  }
}
