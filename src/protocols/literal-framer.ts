// Replies made of lines that may carry literals (IMAP `{n}`, RFC 9051 §4.3; ManageSieve
// `{n}`, RFC 5804 §4): the literal's bytes are read by count, so text inside one that looks
// like a completion cannot end a reply. Subclasses say which line completes a reply.
import { StringDecoder } from "node:string_decoder";
import { MAX_LIST_LINES, MAX_LITERAL_BYTES, MAX_MESSAGE_REPLY_BYTES } from "../limits.js";
import { LineBuffer, joinLines } from "./line-buffer.js";
import { FramingError, type Reply, type ReplyFramer } from "./types.js";

const LITERAL_ANNOUNCED = /\{(\d+)\+?\}$/;
const CRLF = Buffer.from("\r\n");

export abstract class LiteralLineFramer implements ReplyFramer {
  private readonly input = new LineBuffer();
  private lines: string[] = [];
  private raw: Buffer[] = [];
  /** The line being assembled, across literals: its text and its exact bytes. */
  private current = "";
  private currentRaw: Buffer[] = [];
  private literalLeft = 0;
  private literalText = new StringDecoder("utf8");
  private bytes = 0;

  constructor(
    /** A line outside literals may be this long (SEARCH results, capability lists). */
    private readonly maxLineBytes: number,
    /** How an unfinished reply is named in errors: "completing the command (no tagged reply)". */
    private readonly unfinished: string,
  ) {}

  /** Whether this line (literals inside) ends the reply, and with which status. */
  protected abstract completes(line: string, linesSoFar: number): { status: string | undefined; tag?: string } | undefined;

  sent?(line: string): void;

  push(chunk: Buffer): Reply[] {
    this.input.push(chunk);
    const replies: Reply[] = [];
    for (;;) {
      if (this.literalLeft > 0) {
        if (this.input.waiting === 0) break;
        const taken = this.input.take(this.literalLeft);
        this.currentRaw.push(taken);
        this.literalLeft -= taken.length;
        this.count(taken.length);
        // A character split across chunks is kept whole by the decoder; the bytes are joined
        // once, when the line ends.
        this.current += this.literalText.write(taken);
        if (this.literalLeft === 0) this.current += this.literalText.end();
        continue;
      }
      const next = this.input.next();
      if (!next) break;
      if (next.raw.length > this.maxLineBytes) throw new FramingError(`the server sent a line of ${next.raw.length} bytes (limit ${this.maxLineBytes} outside literals)`, next.raw.subarray(0, 120));
      this.count(next.bytes);
      this.current += next.text;
      this.currentRaw.push(next.raw);
      const literal = LITERAL_ANNOUNCED.exec(next.text);
      if (literal) {
        const size = Number(literal[1]);
        if (size > MAX_LITERAL_BYTES) throw new FramingError(`the server announced a literal of ${size} bytes (limit ${MAX_LITERAL_BYTES})`, next.raw.subarray(0, 120));
        this.current += "\n";
        this.currentRaw.push(CRLF);
        this.literalText = new StringDecoder("utf8");
        this.literalLeft = size;
        continue;
      }
      const line = this.current;
      this.lines.push(line);
      this.raw.push(this.currentRaw.length === 1 ? this.currentRaw[0]! : Buffer.concat(this.currentRaw));
      this.current = "";
      this.currentRaw = [];
      if (this.lines.length > MAX_LIST_LINES) throw new FramingError(`the server sent more than ${MAX_LIST_LINES} lines without ${this.unfinished}`, joinLines(this.raw.slice(0, 3)));
      const completion = this.completes(line, this.lines.length);
      if (completion) replies.push(this.finish(completion.status, completion.tag));
    }
    if (this.literalLeft === 0 && this.input.waitingLine > this.maxLineBytes) {
      throw new FramingError(`the server sent ${this.input.waitingLine} bytes without a line end (limit ${this.maxLineBytes} outside literals)`, this.input.preview());
    }
    return replies;
  }

  private count(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > MAX_MESSAGE_REPLY_BYTES) throw new FramingError(`the server sent more than ${MAX_MESSAGE_REPLY_BYTES} bytes without ${this.unfinished}`, joinLines(this.raw.slice(0, 3)));
  }

  private finish(status: string | undefined, tag: string | undefined): Reply {
    const reply: Reply = { lines: this.lines, raw: this.raw, bytes: this.bytes };
    if (status) reply.status = status;
    if (tag) reply.tag = tag;
    this.lines = [];
    this.raw = [];
    this.bytes = 0;
    return reply;
  }

  pending(): Buffer {
    const rest = Buffer.concat([...this.currentRaw, this.input.bytes()]);
    return joinLines(rest.length > 0 ? [...this.raw, rest] : this.raw);
  }

  discard(): number {
    const dropped = this.bytes + this.input.clear();
    this.lines = [];
    this.raw = [];
    this.current = "";
    this.currentRaw = [];
    this.literalLeft = 0;
    this.bytes = 0;
    return dropped;
  }
}
