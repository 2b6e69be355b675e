#!/usr/bin/env node
// The installed command. The CLI itself is compiled TypeScript (npm ci runs `prepare`).
import { readFileSync } from "node:fs";

// `mailchat --version` answers without loading the CLI: scripts and CI call it to see what
// they have, and it should cost no more than starting Node.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
} else {
  import("../dist/src/cli/main.js")
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/src/cli")) {
      process.stderr.write("mailchat: the compiled CLI is missing; run `npm run build` (npm ci does it via `prepare`).\n");
      process.exitCode = 2;
      return;
    }
    // A bug in mailchat, not a problem with the script or the server: say so in one
    // paragraph; the stack only with MAILCHAT_DEBUG=1.
    const detail = process.env.MAILCHAT_DEBUG === "1" && error && error.stack ? `\n${error.stack}` : "";
    process.stderr.write(`mailchat: internal error: ${error && error.message ? error.message : error}. This is a bug in mailchat; please report it with the script and the command line (MAILCHAT_DEBUG=1 shows the stack).${detail}\n`);
    process.exitCode = 70;
  });
}
