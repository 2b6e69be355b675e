// Bytes from the socket → lines, for every protocol's framer. Line ends are LF with an
// optional CR (servers send bare LF more often than the RFCs admit). The framers apply
// their own limits to what is waiting, so a line that never ends is caught early.
// Chunks are kept as they came and joined only once a line is complete, and the search for
// a line end resumes where it stopped, so the work is linear in the bytes received.
export interface Line {
  /** The line decoded as UTF-8 (invalid bytes become U+FFFD), without its line end. */
  text: string;
  /** The exact bytes, without the line end. */
  raw: Buffer;
  /** Size on the wire, line end included. */
  bytes: number;
}

export class LineBuffer {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Where the search for a line end resumes: a chunk, the offset of its start, a position
   *  inside it. Everything before was searched and holds no LF. */
  private scanChunk = 0;
  private scanChunkStart = 0;
  private scanFrom = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  private find(): number {
    while (this.scanChunk < this.chunks.length) {
      const chunk = this.chunks[this.scanChunk]!;
      const at = chunk.indexOf(0x0a, this.scanFrom);
      if (at >= 0) return this.scanChunkStart + at;
      this.scanChunkStart += chunk.length;
      this.scanChunk += 1;
      this.scanFrom = 0;
    }
    return -1;
  }

  /** The next complete line without its line end, and its size on the wire. */
  next(): Line | undefined {
    if (this.length === 0) return undefined;
    const newline = this.find();
    if (newline < 0) return undefined;
    const head = this.chunks[0]!;
    let line: Buffer;
    if (newline < head.length) {
      // The common case: the line lies in the first chunk; no copy, two views.
      line = head;
      if (newline + 1 === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(newline + 1);
      this.length -= newline + 1;
      this.resetScan();
    } else {
      line = this.take(newline + 1);
    }
    const end = newline > 0 && line[newline - 1] === 0x0d ? newline - 1 : newline;
    const raw = line.subarray(0, end);
    return { text: raw.toString("utf8"), raw, bytes: newline + 1 };
  }

  private resetScan(): void {
    this.scanChunk = 0;
    this.scanChunkStart = 0;
    this.scanFrom = 0;
  }

  /** Up to `count` raw bytes (an IMAP literal's content). */
  take(count: number): Buffer {
    const wanted = Math.min(count, this.length);
    const parts: Buffer[] = [];
    let left = wanted;
    while (left > 0) {
      const head = this.chunks[0]!;
      if (head.length <= left) {
        parts.push(head);
        this.chunks.shift();
        left -= head.length;
      } else {
        parts.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.length -= wanted;
    this.resetScan();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, wanted);
  }

  /** Bytes received that wait for their line end. */
  get waiting(): number {
    return this.length;
  }

  /** Bytes that wait, not counting a CR at their end (the first half of a CRLF). */
  get waitingLine(): number {
    const last = this.chunks[this.chunks.length - 1];
    return last && last[last.length - 1] === 0x0d ? this.length - 1 : this.length;
  }

  /** The start of what waits, for a report. */
  preview(length = 120): Buffer {
    const head = Buffer.concat(this.chunks.slice(0, 4));
    return head.subarray(0, length);
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  text(): string {
    return this.bytes().toString("utf8");
  }

  clear(): number {
    const dropped = this.length;
    this.chunks = [];
    this.length = 0;
    this.resetScan();
    return dropped;
  }
}

const CRLF = Buffer.from("\r\n");

/** Lines joined as they came on the wire (CRLF), for previews and partial replies. */
export function joinLines(lines: ReadonlyArray<Buffer | string>): Buffer {
  return Buffer.concat(lines.flatMap((line, i) => (i === 0 ? [Buffer.from(line)] : [CRLF, Buffer.from(line)])));
}
