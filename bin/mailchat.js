#!/usr/bin/env node
// The installed command. The CLI itself is compiled TypeScript (npm ci runs `prepare`).
import("../dist/src/cli/main.js")
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/src/cli")) {
      process.stderr.write("mailchat: the compiled CLI is missing; run `npm run build` (npm ci does it via `prepare`).\n");
    } else {
      process.stderr.write(`mailchat: internal error: ${error && error.stack ? error.stack : error}\n`);
    }
    process.exitCode = 70;
  });
