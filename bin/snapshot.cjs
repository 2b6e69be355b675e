// The entry of mailchat's V8 start-up snapshot, run only by `node --build-snapshot`
// (scripts/snapshot.ts, at `npm run build`). It loads the bundle and runs one `check`, so the
// snapshot holds the CLI's modules evaluated, Chevrotain's lexer and parser built and the
// functions of a check compiled: a start from it skips reading, compiling and warming them
// (docs/benchmarks.md). bin/mailchat starts Node from the snapshot; the function below then
// hands over to bin/mailchat.cjs, which uses the warm CLI only if the bundle on disk is the
// one the snapshot was made from, and otherwise starts as it would without one.
//
// What runs here is frozen into every later start: nothing here may read the environment,
// the terminal or the clock for later use, or draw random numbers (Node caches some, e.g.
// for crypto.randomUUID, and a snapshot would replay them). A `check` does none of that.
"use strict";
const { readFileSync, realpathSync } = require("node:fs");
const { createRequire, wrap } = require("node:module");
const { dirname, join, resolve } = require("node:path");
const { runInThisContext } = require("node:vm");
const { startupSnapshot } = require("node:v8");

const file = join(__dirname, "../dist/src/cli/bundle.cjs");
const source = readFileSync(file, "latin1");
const hash = /^\/\/ mailchat-bundle ([0-9a-f]+)\n/.exec(source)?.[1];
const cli = { exports: {} };
// At build time `require` knows only Node's own modules, which is all the bundle asks for
// when it loads (node-forge, the one left out, is loaded with createRequire when needed).
runInThisContext(wrap(source), { filename: file }).call(cli.exports, cli.exports, require, cli, file, dirname(file));
const root = realpathSync(join(__dirname, ".."));

cli.exports
  .main([process.execPath, join(__dirname, "mailchat.cjs"), "check", join(root, "examples/first.mailchat")])
  .then(() => {
    if (process.exitCode !== 0) throw new Error(`the warm-up check ended with exit status ${process.exitCode}`);
    process.exitCode = undefined;
    startupSnapshot.setDeserializeMainFunction(() => {
      // bin/mailchat passes bin/mailchat.cjs as the script, so argv reads as without a snapshot.
      const bin = resolve(process.argv[1]);
      globalThis.mailchatSnapshot = { hash, root, exports: cli.exports };
      createRequire(bin)(bin);
    });
  });
