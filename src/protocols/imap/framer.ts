// IMAP reply framing (RFC 9051 §2.2.2, §4.3): a reply is the untagged lines plus the tagged
// completion of a command in flight, or a `+` continuation request. Literals `{n}` are read by
// byte count, so message text that looks like a completion (a line "A1 OK" inside a FETCH
// BODY[]) cannot end a reply early.
import { MAX_LIST_LINES, MAX_LITERAL_BYTES, MAX_MESSAGE_REPLY_BYTES } from "../../limits.js";
import { LineBuffer, joinLines } from "../line-buffer.js";
import { FramingError, type Reply, type ReplyFramer } from "../types.js";

/** An IMAP line (without literals) may be long — SEARCH results, CAPABILITY — but not endless. */
export const MAX_IMAP_LINE_BYTES = 1_048_576;

export const LITERAL_AT_END = /\{(\d+)\}$/;

export class ImapFramer implements ReplyFramer {
  private readonly input = new LineBuffer();
  private lines: string[] = [];
  private raw: Buffer[] = [];
  /** The line being assembled, across literals: its text and its exact bytes. */
  private current = "";
  private currentRaw: Buffer[] = [];
  private literalLeft = 0;
  private bytes = 0;
  private greeting: boolean;
  /** Tags of commands sent and not yet completed: only their tagged lines end a reply. */
  private readonly tags = new Set<string>();
  private tagsSeen = false;

  constructor(greeting: boolean) {
    this.greeting = greeting;
  }

  sent(line: string): void {
    const tag = /^([^\s*+(){%"\\\]]+) /.exec(line)?.[1];
    if (tag) {
      this.tags.add(tag.toUpperCase());
      this.tagsSeen = true;
    }
  }

  push(chunk: Buffer): Reply[] {
    this.input.push(chunk);
    const replies: Reply[] = [];
    for (;;) {
      if (this.literalLeft > 0) {
        if (this.input.waiting === 0) break;
        const taken = this.input.take(this.literalLeft);
        this.currentRaw.push(taken);
        this.literalLeft -= taken.length;
        this.bytes += taken.length;
        this.checkTotal();
        if (this.literalLeft === 0) {
          // The literal is decoded whole, so a character split across chunks stays intact.
          const literal = Buffer.concat(this.currentRaw.splice(this.literalStart));
          this.currentRaw.push(literal);
          this.current += literal.toString("utf8");
        }
        continue;
      }
      const next = this.input.next();
      if (!next) break;
      if (next.raw.length > MAX_IMAP_LINE_BYTES) throw new FramingError(`the server sent a line of ${next.raw.length} bytes (limit ${MAX_IMAP_LINE_BYTES} outside literals)`, next.raw.subarray(0, 120));
      this.bytes += next.bytes;
      this.checkTotal();
      this.current += next.text;
      this.currentRaw.push(next.raw);
      const literal = LITERAL_AT_END.exec(next.text);
      if (literal) {
        const size = Number(literal[1]);
        if (size > MAX_LITERAL_BYTES) throw new FramingError(`the server announced a literal of ${size} bytes (limit ${MAX_LITERAL_BYTES})`, Buffer.from(this.current.slice(0, 120)));
        this.current += "\n";
        this.currentRaw.push(CRLF);
        this.literalStart = this.currentRaw.length;
        this.literalLeft = size;
        if (size > 0) continue;
        continue;
      }
      const line = this.current;
      const raw = this.currentRaw.length === 1 ? this.currentRaw[0]! : Buffer.concat(this.currentRaw);
      this.current = "";
      this.currentRaw = [];
      this.lines.push(line);
      this.raw.push(raw);
      if (this.lines.length > MAX_LIST_LINES) {
        throw new FramingError(`the server sent more than ${MAX_LIST_LINES} lines without completing the command (no tagged reply)`, joinLines(this.raw.slice(0, 3)));
      }
      const reply = this.completes(line);
      if (reply) replies.push(reply);
    }
    if (this.literalLeft === 0 && this.input.waitingLine > MAX_IMAP_LINE_BYTES) {
      throw new FramingError(`the server sent ${this.input.waitingLine} bytes without a line end (limit ${MAX_IMAP_LINE_BYTES} outside literals)`, this.input.preview());
    }
    return replies;
  }

  private literalStart = 0;

  private checkTotal(): void {
    if (this.bytes > MAX_MESSAGE_REPLY_BYTES) {
      throw new FramingError(`the server sent more than ${MAX_MESSAGE_REPLY_BYTES} bytes without completing the command (no tagged reply)`, joinLines(this.raw.slice(0, 3)));
    }
  }

  /** The reply ends at the tagged line of a command sent, a `+` continuation, or (first of
   *  all) the greeting. A tagged line with another tag is data, not the command's answer. */
  private completes(line: string): Reply | undefined {
    if (line.startsWith("+")) return this.finish("+");
    if (line.startsWith("*")) {
      if (!this.greeting) return undefined;
      this.greeting = false;
      const status = /^\* (OK|PREAUTH|BYE)\b/i.exec(line)?.[1]?.toUpperCase();
      return this.finish(status);
    }
    const tagged = /^(\S+) (OK|NO|BAD)\b/i.exec(line);
    if (tagged && this.tagsSeen && !this.tags.delete(tagged[1]!.toUpperCase())) return undefined;
    const reply = this.finish(tagged?.[2]?.toUpperCase());
    if (tagged) reply.tag = tagged[1]!;
    return reply;
  }

  private finish(status: string | undefined): Reply {
    const reply: Reply = { lines: this.lines, raw: this.raw, bytes: this.bytes };
    if (status) reply.status = status;
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

const CRLF = Buffer.from("\r\n");

