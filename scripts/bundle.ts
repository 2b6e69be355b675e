// Bundles the compiled CLI (dist/src/cli/main.js and everything it loads) into one CommonJS
// file, dist/src/cli/bundle.cjs, for bin/mailchat.cjs to run with a V8 code cache.
//
// Why: Node 20 compiles every ES module from source on every start (it has no compile cache
// for them), and a one-shot command like `mailchat check` spends most of its life on that and
// on compiling Chevrotain's functions as they first run. One classic script can be given V8's
// code cache (vm.Script cachedData), which skips both. A bundle without the cache was slower
// than the separate modules (docs/benchmarks.md), so the two go together.
//
// The bundle sits beside main.js so that paths the code takes from its own location
// (`../../../package.json`, `../../../recipes/`) mean the same. Its first line carries a hash
// of its text: bin/mailchat.cjs names the cache after it, because V8 checks only a cached
// script's length, and a rebuilt bundle of the same length must never run stale code.
import { createHash } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const OUT = join(ROOT, "dist/src/cli/bundle.cjs");

// grammar/chevrotain.ts picks Chevrotain's one-file build with a top-level await, which a
// CommonJS bundle cannot hold: here the same file is named statically.
const chevrotainBundle: Plugin = {
  name: "chevrotain-bundle",
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]grammar[\\/]chevrotain\.js$/ }, () => {
      const entry = createRequire(join(ROOT, "package.json")).resolve("chevrotain");
      const file = join(dirname(dirname(entry)), "chevrotain.mjs");
      return { contents: `export * from ${JSON.stringify(file)};`, loader: "js" };
    });
  },
};

// Commander loads node:child_process when it loads, for the executable subcommands mailchat
// has none of: ~6 ms of every start. It is loaded when first called instead. Should the line
// change in a later Commander, the file is bundled as it is (correct, only slower).
const CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyChildProcess: Plugin = {
  name: "commander-lazy-child-process",
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes(CHILD_PROCESS)) return undefined;
      return { contents: text.replace(CHILD_PROCESS, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: [join(ROOT, "dist/src/cli/main.js")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  write: false,
  // Smaller is faster to read and to hash, and without comments the file is ASCII, read as
  // latin1 (no UTF-8 decoding). Names stay, so a stack trace still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: "ascii",
  legalComments: "none",
  // Every module's import.meta.url becomes the bundle's own: it sits where main.js does.
  define: { "import.meta.url": "__mailchat_bundle_url" },
  banner: { js: '"use strict";\nconst __mailchat_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  // node-forge is loaded with createRequire only when the sandbox must make new keys; the
  // ASN.1 schemas only when a handshake's chain or OCSP response is read (runtime/asn1.ts).
  external: ["node-forge", "@peculiar/asn1-schema", "@peculiar/asn1-x509", "@peculiar/asn1-ocsp"],
  plugins: [chevrotainBundle, lazyChildProcess],
  logLevel: "warning",
});

const text = result.outputFiles[0]!.text;
// bin/mailchat.cjs reads the bundle as latin1, which is exact only for ASCII.
const nonAscii = /[^\x00-\x7f]/.exec(text);
if (nonAscii) {
  const line = text.slice(0, nonAscii.index).split("\n").length;
  console.error(`bundle: a character outside ASCII (U+${nonAscii[0].codePointAt(0)!.toString(16).toUpperCase()}) on line ${line} of the bundle; write it as an escape (\\u…) in the source`);
  process.exit(1);
}
const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
const temporary = `${OUT}.${process.pid}.tmp`;
writeFileSync(temporary, `// mailchat-bundle ${hash}\n${text}`);
renameSync(temporary, OUT);
