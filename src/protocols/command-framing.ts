// Where the client stands in its own command stream, for protocols with literals (IMAP,
// RFC 9051 §4.3; ManageSieve, RFC 5804 §4): a literal ends when its announced bytes have
// gone, and the command it belongs to ends only at the CRLF after it — MULTIAPPEND and
// CATENATE put more text, and more literals, after a literal. Bytes are counted whoever sends
// them (`send` lines, `send raw`, a sized literal), so a `send` that follows an unfinished
// command continues it instead of starting a new, tagged one.

/** `{n}` (synchronizing), `{n+}` (RFC 7888 LITERAL+) or `~{n}` (RFC 3516 literal8) ending a line. */
const LITERAL_ANNOUNCED = /\{(\d+)(\+?)\}$/;

/** Enough of a line's end to see a literal's announcement (`{` + 20 digits + `+}`). */
const TAIL_BYTES = 32;

export interface LineOutcome {
  /** The line left the command unfinished before it (it continues that command, untagged). */
  continued: boolean;
  /** The line's CRLF ended a command. */
  ends: boolean;
  /** The line announced a literal at its end: its size, and whether the server must say `+` first. */
  announced?: { size: number; synchronizing: boolean };
}

export class CommandFraming {
  /** Bytes of the literal in flight still to go. */
  private literalLeft = 0;
  /** A command has begun and its final CRLF has not gone yet. */
  private open = false;
  /** The end of the command line's text since its last CRLF (outside literals). */
  private tail = "";

  /** The next bytes continue a command: inside a literal, or after one on the same line. */
  get continuing(): boolean {
    return this.open || this.literalLeft > 0;
  }

  /** Inside a literal's announced bytes. */
  get inLiteral(): boolean {
    return this.literalLeft > 0;
  }

  /** A `send` line with its CRLF. */
  line(text: string): LineOutcome {
    const continued = this.continuing;
    const announced = this.feed(Buffer.from(`${text}\r\n`, "utf8"));
    const outcome: LineOutcome = { continued, ends: !this.continuing };
    if (announced) outcome.announced = announced;
    return outcome;
  }

  /** Bytes sent as they are (`send raw`, a literal's data). */
  bytes(bytes: Buffer): void {
    this.feed(bytes);
  }

  /** The server refused a synchronizing literal (NO/BAD instead of `+`): the command is over. */
  refused(): void {
    this.literalLeft = 0;
    this.open = false;
    this.tail = "";
  }

  /** Counts the bytes; returns the literal announced by the last line ended, if any. */
  private feed(bytes: Buffer): { size: number; synchronizing: boolean } | undefined {
    let announced: { size: number; synchronizing: boolean } | undefined;
    let at = 0;
    while (at < bytes.length) {
      if (this.literalLeft > 0) {
        const taken = Math.min(this.literalLeft, bytes.length - at);
        this.literalLeft -= taken;
        at += taken;
        // The literal is over; the command goes on until its CRLF.
        this.open = true;
        this.tail = "";
        announced = undefined;
        continue;
      }
      const lf = bytes.indexOf(0x0a, at);
      const end = lf < 0 ? bytes.length : lf;
      this.tail = (this.tail + bytes.toString("latin1", Math.max(at, end - TAIL_BYTES), end)).slice(-TAIL_BYTES);
      if (lf < 0) {
        this.open = true;
        break;
      }
      const literal = LITERAL_ANNOUNCED.exec(this.tail.replace(/\r$/, ""));
      this.tail = "";
      at = lf + 1;
      if (literal) {
        this.literalLeft = Number(literal[1]);
        this.open = true;
        announced = { size: this.literalLeft, synchronizing: literal[2] !== "+" };
      } else {
        this.open = false;
        announced = undefined;
      }
    }
    return announced;
  }
}
