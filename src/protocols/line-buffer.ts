// Bytes from the socket → lines, for every protocol's framer. Line ends are LF with an
// optional CR (servers send bare LF more often than the RFCs admit). The framers apply
// their own limits to what is waiting, so a line that never ends is caught early.
export class LineBuffer {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next complete line without its line end, and its size on the wire. */
  next(): { text: string; bytes: number } | undefined {
    const newline = this.buffer.indexOf(0x0a);
    if (newline < 0) return undefined;
    const raw = this.buffer.subarray(0, newline);
    this.buffer = this.buffer.subarray(newline + 1);
    return { text: raw.toString("utf8").replace(/\r$/, ""), bytes: newline + 1 };
  }

  /** Up to `count` raw bytes (an IMAP literal's content). */
  take(count: number): Buffer {
    const taken = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(taken.length);
    return taken;
  }

  /** Bytes received that wait for their line end. */
  get waiting(): number {
    return this.buffer.length;
  }

  /** The start of what waits, for a report. */
  preview(length = 120): string {
    return this.buffer.subarray(0, length).toString("utf8");
  }

  text(): string {
    return this.buffer.toString("utf8");
  }

  clear(): number {
    const dropped = this.buffer.length;
    this.buffer = Buffer.alloc(0);
    return dropped;
  }
}
