// A file or standard input read in chunks, never past a limit: a pipe or a device has no
// size to ask first, and a log or a mailbox given by mistake must not be read whole.
import { closeSync, openSync, readSync } from "node:fs";
import { describeFsError } from "../compile/load.js";
import { printable } from "../transcript/escape.js";

/** The bytes of `file` ("-" for standard input), or undefined when there are more than
 *  `limit`. */
export function readBounded(file: string, limit: number): Buffer | undefined {
  const fd = file === "-" ? 0 : openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(65_536);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        // Standard input left non-blocking by the shell: wait for it as readFileSync would.
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (n === 0) return Buffer.concat(chunks, total);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      if (total > limit) return undefined;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** The bytes of a command's input file ("-": standard input), or why it cannot be used, as
 *  the one-paragraph message to print: unreadable, or over `limit` (`tooLarge` says what to
 *  do instead, given how the input is named). */
export function readInput(file: string, limit: number, tooLarge: (name: string) => string): { bytes: Buffer } | { error: string } {
  const name = file === "-" ? "standard input" : printable(file);
  try {
    const bytes = readBounded(file, limit);
    return bytes === undefined ? { error: `mailchat: ${tooLarge(name)}` } : { bytes };
  } catch (error) {
    return { error: `mailchat: cannot read ${name}: ${describeFsError(error)}` };
  }
}
