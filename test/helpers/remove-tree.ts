// Removing the working directory of servers that have just been told to stop. Their last
// processes may still write a file or two (NSD's xfrd its state, Dovecot a log line) while
// the tree is removed; Node's own retry (rmSync's maxRetries) only tries the final rmdir again
// and never the files that came since, so it fails the same way. Here the whole removal is
// tried again, for a bounded time.
import { rmSync } from "node:fs";

export function removeTree(dir: string, withinMs = 5_000): void {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== "ENOTEMPTY" && code !== "EBUSY") || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}
