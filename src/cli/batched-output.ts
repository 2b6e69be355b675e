// A report's text on standard output, gathered within one turn of the event loop and written
// at its end. Node writes stdout synchronously on Linux (file, pipe or terminal), one write(2)
// a call, and a reporter writes a line at a time: a 10,000-RCPT session ran 6% longer for it
// (docs/benchmarks.md). Lines still appear as they happen: a turn ends before anything waits
// on the server.
export interface BatchedOutput {
  write(text: string): void;
  /** Writes what is gathered now (before stderr is written, and at the end). */
  flush(): void;
}

/** Past this size a batch goes out at once, so memory stays flat on a long turn. */
const LIMIT = 64 * 1024;

export function batchedOutput(stream: NodeJS.WritableStream): BatchedOutput {
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join("");
    pending = [];
    size = 0;
    stream.write(text);
  };
  // A `process.exit` (Ctrl-C, a closed pipe) must not drop a gathered line.
  process.once("exit", flush);
  return {
    write(text) {
      pending.push(text);
      size += text.length;
      if (size >= LIMIT) return flush();
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    },
    flush,
  };
}
