#!/usr/bin/env node
// The installed command. The CLI itself is compiled TypeScript (npm ci runs `prepare`), run
// from one bundled file with V8's code cache when there is one (see scripts/bundle.ts).
// CommonJS, not an ES module: an ES entry starts Node's module loader, ~6 ms on every run.
"use strict";
const { closeSync, constants, fstatSync, futimesSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } = require("node:fs");
const { createRequire, Module } = require("node:module");
const { homedir } = require("node:os");
const { dirname, join, resolve } = require("node:path");
const { Script } = require("node:vm");

// Each command keeps a code cache of its own (test/unit/bin-commands pins this list to the CLI's).
const COMMANDS = ["run", "check", "import", "explain", "serve", "recipes", "sandbox", "shell"];
// The bundle's first line: its hash (scripts/bundle.ts).
const BUNDLE_HASH = /^\/\/ mailchat-bundle ([0-9a-f]+)\n/;

// The code cache: V8 checks a cache's version, flags and length, not its content, and a few
// changed bytes (a disk error, a half-written file, a copy from elsewhere) crash Node or run
// damaged code. So a cache file is MAGIC, then a checksum of its name and its data (the name
// says the build, command, Node and architecture it is for), then V8's data; it is used only
// when the sum is right, and only from a directory and a file no one but the user can write
// (code in it runs as the user). Any doubt, and any error, means running without it: the cache
// can cost a run its speed, never its answer.
// The checksum is zlib's CRC-32 where Node has it (20.15 and later): it finds the damage above
// as well, and loading node:crypto for a sha256 cost every `check` ~5 ms more than node:zlib
// (a check loads neither otherwise). Older Nodes keep the sha256, under their own magic.
const CRC32 = require("node:zlib").crc32;
const MAGIC = Buffer.from(CRC32 ? "mailchat-v8cache-2\n" : "mailchat-v8cache-1\n", "latin1");
const HEADER = MAGIC.length + (CRC32 ? 4 : 32);
const MAX_CACHE = 64 * 1024 * 1024; // V8's cache of the whole bundle is under 2 MB
const DAY = 86_400_000;
const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

// `mailchat --version` answers without loading the CLI: scripts and CI call it to see what
// they have, and it should cost no more than starting Node.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // As the CLI's own (src/cli/main.ts): a reader gone is quiet, a failed write one line, 74.
  process.stdout.on("error", (error) => {
    if (error.code !== "EPIPE") process.stderr.write(`mailchat: cannot write to standard output (${error.code || error.message}); the report is incomplete.\n`);
    process.exit(error.code === "EPIPE" ? 0 : 74);
  });
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
  // Started from the snapshot (bin/mailchat, bin/snapshot.cjs): its CLI is loaded and warm.
  const snapshot = globalThis.mailchatSnapshot;
  delete globalThis.mailchatSnapshot;
  if (snapshot && snapshotCurrent(snapshot, file)) return snapshot.exports;
  let source;
  try {
    // ASCII only (scripts/bundle.ts makes sure): latin1 spares the UTF-8 decoding.
    source = readFileSync(file, "latin1");
    if (modulesNewer(file)) return undefined;
  } catch {
    if (source === undefined) return undefined; // no bundle: the modules
    // no .tsbuildinfo (an installed package): the bundle is all there is
  }
  // The cache is named after the bundle's hash (V8 checks only a cached script's length), and
  // after the command: each caches the functions it runs (`check` never compiles the runtime).
  const hash = BUNDLE_HASH.exec(source)?.[1];
  const command = COMMANDS.includes(args[0]) ? args[0] : "other";
  // The sandbox's cacheDir() (src/sandbox/certs.ts) names the same place; this file must not
  // load the CLI to ask it.
  const dir = resolve(process.env.MAILCHAT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mailchat"));
  const name = hash && `cli-${hash}-${command}-${process.version}-${process.arch}.v8cache`;
  const cachedData = name ? readCache(dir, name) : undefined;
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  if (name && (cachedData === undefined || script.cachedDataRejected)) {
    // Made at exit, so it holds every function this run compiled, not only the top level.
    process.once("exit", () => writeCache(dir, name, hash, script));
  }
  return module.exports;
}

/** Modules compiled after the bundle was made (`tsc` alone, `tsc --watch`) are the truth. */
function modulesNewer(file) {
  return statSync(join(__dirname, "../dist/.tsbuildinfo")).mtimeMs > statSync(file).mtimeMs;
}

/** Whether the snapshot's CLI is what this install would run: made here, from the bundle on disk. */
function snapshotCurrent(snapshot, file) {
  try {
    if (snapshot.root !== realpathSync(join(__dirname, ".."))) return false;
    const fd = openSync(file, O_RDONLY);
    let head;
    try {
      head = Buffer.alloc(64);
      head = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString("latin1");
    } finally {
      closeSync(fd);
    }
    if (BUNDLE_HASH.exec(head)?.[1] !== snapshot.hash) return false;
  } catch {
    return false; // no bundle: what runs without a snapshot decides
  }
  try {
    return !modulesNewer(file);
  } catch {
    return true; // no .tsbuildinfo (an installed package): the bundle is all there is
  }
}

function digest(name, data) {
  if (!CRC32) return require("node:crypto").createHash("sha256").update(`${name}\n`).update(data).digest();
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(CRC32(data, CRC32(`${name}\n`)));
  return sum;
}

/** V8's data from the cache file `name` in dir, or undefined when there is none to trust. */
function readCache(dir, name) {
  try {
    if (!privateDir(dir)) return undefined;
    // No link followed; O_NONBLOCK: a FIFO put there must not hang the command.
    const fd = openSync(join(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    let file;
    try {
      const stat = fstatSync(fd);
      if (!privateFile(stat) || stat.size <= HEADER || stat.size > MAX_CACHE) return undefined;
      // Reading leaves a file's mtime as it was: a cache in use is touched (once a day at most),
      // so that writeCache's pruning takes only the caches no install has used for a week.
      if (Date.now() - stat.mtimeMs > DAY) touch(fd);
      file = Buffer.allocUnsafe(stat.size);
      let done = 0;
      for (let n = 1; done < file.length && n > 0; done += n) n = readSync(fd, file, done, file.length - done, null);
      if (done !== file.length) return undefined;
    } finally {
      closeSync(fd);
    }
    const data = file.subarray(HEADER);
    const intact = file.subarray(0, MAGIC.length).equals(MAGIC) && file.subarray(MAGIC.length, HEADER).equals(digest(name, data));
    return intact ? data : undefined;
  } catch {
    return undefined; // none yet (made at exit), or unreadable
  }
}

function touch(fd) {
  try {
    const now = new Date();
    futimesSync(fd, now, now);
  } catch {
    // a read-only file system: the cache may be pruned a week after it was made, then made anew
  }
}

/** Writes the script's cache as `name` in dir, when dir is private; never throws. */
function writeCache(dir, name, hash, script) {
  let temporary;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!privateDir(dir)) return;
    const data = script.createCachedData();
    // A new file of a name no one can guess, never through a link; renamed into place whole.
    const path = join(dir, `${name}.${require("node:crypto").randomBytes(8).toString("hex")}.tmp`);
    const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    temporary = path;
    try {
      writeFileSync(fd, MAGIC);
      writeFileSync(fd, digest(name, data));
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(dir, name));
    temporary = undefined;
    // Caches of other builds unused for a week (readCache touches the one it reads) are never
    // read again; nor are the temporary files of runs killed while writing.
    const weekAgo = Date.now() - 7 * DAY;
    for (const entry of readdirSync(dir)) {
      const match = /^cli-([0-9a-f]+)-.*\.v8cache(\.[0-9a-f]+\.tmp)?$/.exec(entry);
      if (!match || (match[1] === hash && !match[2])) continue;
      const other = join(dir, entry);
      if (lstatSync(other).mtimeMs < weekAgo) unlinkSync(other);
    }
  } catch {
    // a read-only or full disk: run without the cache
  } finally {
    if (temporary) {
      try {
        unlinkSync(temporary);
      } catch {
        // gone already
      }
    }
  }
}

/**
 * Whether dir is a directory, not a link, that the user owns and no one else may write (a
 * sticky /tmp is still written by others), below directories that others could not use to put
 * another in its place: each owned by the user or root, none writable by all unless sticky.
 * One above that its group may write is let be: ~/.cache made under umask 002 is, and its group
 * is most often the user's own. Windows has no owner or mode to check: no cache there.
 */
function privateDir(dir) {
  if (process.getuid === undefined || O_NOFOLLOW === undefined) return false;
  const uid = process.getuid();
  const own = lstatSync(dir);
  if (!own.isDirectory() || own.uid !== uid || (own.mode & 0o022) !== 0) return false;
  for (let path = realpathSync.native(dirname(dir)); ; path = dirname(path)) {
    const { uid: owner, mode } = statSync(path);
    if ((owner !== uid && owner !== 0) || ((mode & 0o002) !== 0 && (mode & 0o1000) === 0)) return false;
    if (dirname(path) === path) return true;
  }
}

/** A regular file the user owns and no one else may write. */
function privateFile(stat) {
  return stat.isFile() && stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}
