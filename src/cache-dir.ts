// Where mailchat keeps what it makes for later runs: the sandbox's keys, the shell's history
// (bin/mailchat.cjs names the same place for the code cache, without loading this module).
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheDir(): string {
  return process.env.MAILCHAT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mailchat");
}
