#!/usr/bin/env node
// The installed command. The CLI itself is compiled TypeScript (npm ci runs `prepare`), run
// from one bundled file with V8's code cache when there is one (see scripts/bundle.ts).
// CommonJS, not an ES module: an ES entry starts Node's module loader, ~6 ms on every run.
"use strict";
const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require("node:fs");
const { createRequire, Module } = require("node:module");
const { homedir } = require("node:os");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

// Each command keeps a code cache of its own (test/unit/bin-commands pins this list to the CLI's).
const COMMANDS = ["run", "check", "import", "explain", "serve", "recipes", "sandbox"];

// `mailchat --version` answers without loading the CLI: scripts and CI call it to see what
// they have, and it should cost no more than starting Node.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, "../package.json"), "utf8")).version}\n`);
} else {
  cli()
    .then((loaded) => loaded.main(process.argv))
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

/** The CLI: the bundle when it is there and current, else the compiled modules. */
async function cli() {
  return bundled() ?? (await import("../dist/src/cli/main.js"));
}

function bundled() {
  if (process.env.MAILCHAT_BUNDLE === "0") return undefined;
  const file = join(__dirname, "../dist/src/cli/bundle.cjs");
  let source;
  try {
    // ASCII only (scripts/bundle.ts makes sure): latin1 spares the UTF-8 decoding.
    source = readFileSync(file, "latin1");
    // Modules compiled after the bundle was made (`tsc` alone, `tsc --watch`) are the truth.
    if (statSync(join(__dirname, "../dist/.tsbuildinfo")).mtimeMs > statSync(file).mtimeMs) return undefined;
  } catch {
    if (source === undefined) return undefined; // no bundle: the modules
    // no .tsbuildinfo (an installed package): the bundle is all there is
  }
  // The cache is named after the bundle's hash (V8 checks only a cached script's length), and
  // after the command: each caches the functions it runs (`check` never compiles the runtime).
  const hash = /^\/\/ mailchat-bundle ([0-9a-f]+)\n/.exec(source)?.[1];
  const command = COMMANDS.includes(args[0]) ? args[0] : "other";
  // The sandbox's cacheDir() (src/sandbox/certs.ts) names the same place; this file must not
  // load the CLI to ask it.
  const dir = process.env.MAILCHAT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mailchat");
  const cacheFile = hash && join(dir, `cli-${hash}-${command}-${process.version}-${process.arch}.v8cache`);
  let cachedData;
  try {
    if (cacheFile && trusted(cacheFile)) cachedData = readFileSync(cacheFile);
  } catch {
    // first run of this build: made below
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    // Made at exit, so it holds every function this run compiled, not only the top level.
    process.once("exit", () => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
        // Caches of other builds untouched for a week (another install still in use keeps
        // its own fresh) are never read again.
        const weekAgo = Date.now() - 7 * 86_400_000;
        for (const name of readdirSync(dir)) {
          if (!/^cli-[0-9a-f]+-.*\.v8cache$/.test(name) || name.startsWith(`cli-${hash}-`)) continue;
          const other = join(dir, name);
          if (statSync(other).mtimeMs < weekAgo) unlinkSync(other);
        }
      } catch {
        // a read-only or full disk: run without the cache
      }
    });
  }
  return module.exports;
}

/**
 * Code in a cache runs as the user: only a file the user owns and nobody else may write is
 * used (V8 checks a cache's version and length, not where it came from). Any other is
 * replaced by a private one.
 */
function trusted(file) {
  const { uid, mode } = statSync(file);
  return (process.getuid === undefined || uid === process.getuid()) && (mode & 0o022) === 0;
}
