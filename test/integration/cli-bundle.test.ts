// bin/mailchat.cjs runs the CLI from one bundled file with V8's code cache (scripts/bundle.ts):
// the cache is made on the first run, kept private, checked before V8 sees it (damage costs the
// cache, never the run), written only as new files and never through a link, used only in a
// directory no one else can write; and the bundle says the same as the modules it was made from.
import * as zlib from "node:zlib";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

const SCRIPT = "examples/first.mailchat";

test("the first run of a command leaves a private code cache named after the bundle's hash; the next run uses it", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const first = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(first.code, 0, first.stderr);
  const hash = /^\/\/ mailchat-bundle ([0-9a-f]{16})\n/.exec(readFileSync(join(REPO_ROOT, "dist/src/cli/bundle.cjs"), "utf8"))?.[1];
  assert.ok(hash, "the bundle's first line carries its hash");
  const files = readdirSync(cache).filter((name) => name.endsWith(".v8cache"));
  assert.deepEqual(files, [`cli-${hash}-check-${process.version}-${process.arch}.v8cache`]);
  assert.equal(statSync(join(cache, files[0]!)).mode & 0o077, 0, "nobody else may read or write the cache");
  assert.equal(statSync(cache).mode & 0o077, 0);
  const made = statSync(join(cache, files[0]!)).ino;
  const second = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.deepEqual([second.code, second.stdout, second.stderr], [first.code, first.stdout, first.stderr]);
  // A cache that was used is not written again (a rejected or unread one would be, renamed into place).
  assert.equal(statSync(join(cache, files[0]!)).ino, made, "the second run used the cache, and did not make it anew");
});

test("a new build's first run removes other builds' caches unused for a week, and leaves the rest alone", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const stale = `cli-0123456789abcdef-check-${process.version}-${process.arch}.v8cache`;
  const recent = `cli-fedcba9876543210-check-${process.version}-${process.arch}.v8cache`;
  writeFileSync(join(cache, stale), "an earlier build's cache");
  const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(join(cache, stale), eightDaysAgo, eightDaysAgo);
  writeFileSync(join(cache, recent), "another install's cache, in use");
  writeFileSync(join(cache, "sandbox-keys.pem"), "not a code cache");
  const result = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(result.code, 0, result.stderr);
  const names = readdirSync(cache);
  assert.ok(!names.includes(stale), "the earlier build's cache is gone");
  assert.ok(names.includes(recent), "another build's recent cache stays");
  assert.ok(names.includes("sandbox-keys.pem"));
  assert.equal(names.filter((name) => name.endsWith(".v8cache")).length, 2);
});

test("a cache in use is touched when read (once a day at most), so another build's pruning keeps it", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const first = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(first.code, 0, first.stderr);
  const [name] = readdirSync(cache).filter((entry) => entry.endsWith(".v8cache"));
  const file = join(cache, name!);
  const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(file, eightDaysAgo, eightDaysAgo);
  const second = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.deepEqual([second.code, second.stdout], [first.code, first.stdout]);
  assert.ok(Date.now() - statSync(file).mtimeMs < 60_000, "read a week after it was made, the cache is fresh again");
  const yesterday = new Date(Date.now() - 0.5 * 86_400_000);
  utimesSync(file, yesterday, yesterday);
  await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(Math.round(statSync(file).mtimeMs), yesterday.getTime(), "touched at most once a day");
});

test("a corrupted code cache is refused and made anew; the command's answer does not change", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const clean = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  const file = join(cache, readdirSync(cache).find((name) => name.endsWith(".v8cache"))!);
  writeFileSync(file, Buffer.alloc(statSync(file).size, 0x41));
  const corrupted = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.deepEqual([corrupted.code, corrupted.stdout, corrupted.stderr], [clean.code, clean.stdout, clean.stderr]);
  assert.notEqual(readFileSync(file)[0], 0x41, "the cache was written again");
});

test("a code cache that others may write is not used: it is replaced by a private one", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  const file = join(cache, readdirSync(cache).find((name) => name.endsWith(".v8cache"))!);
  chmodSync(file, 0o666);
  const before = statSync(file).ino;
  const result = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(statSync(file).mode & 0o077, 0, "written again, private");
  assert.notEqual(statSync(file).ino, before, "a new file took its place");
});

test("a cache directory that cannot be written costs the cache, not the run", async () => {
  const cache = join(mkdtempSync(join(tmpdir(), "mailchat-code-cache-")), "a-file");
  writeFileSync(cache, "not a directory");
  const result = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
});

test("the bundle and the compiled modules (MAILCHAT_BUNDLE=0) answer alike: a run, a located error, the help", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const bad = join(cache, "bad.mailchat");
  writeFileSync(bad, "connect smtp://localhost\nsned EHLO x\n");
  for (const args of [["run", "--sandbox", SCRIPT, "--reporter", "tap"], ["check", bad], ["--help"]]) {
    const bundled = await runCli(args, { env: { MAILCHAT_CACHE_DIR: cache }, timeoutMs: 60_000 });
    const modules = await runCli(args, { env: { MAILCHAT_CACHE_DIR: cache, MAILCHAT_BUNDLE: "0" }, timeoutMs: 60_000 });
    const timeless = (text: string) => text.replace(/\d+(\.\d+)? ?m?s\b/g, "T");
    assert.equal(bundled.code, modules.code, `${args.join(" ")}: ${bundled.stderr}`);
    assert.equal(timeless(bundled.stdout), timeless(modules.stdout), args.join(" "));
    assert.equal(bundled.stderr, modules.stderr, args.join(" "));
  }
});

/** The name of `check`'s cache for this build, Node and architecture. */
function checkCacheName(): string {
  const hash = /^\/\/ mailchat-bundle ([0-9a-f]{16})\n/.exec(readFileSync(join(REPO_ROOT, "dist/src/cli/bundle.cjs"), "utf8"))![1];
  return `cli-${hash}-check-${process.version}-${process.arch}.v8cache`;
}

/** Whether a cache file is whole: its magic, then the CRC-32 (zlib's; a sha256 on a Node
 *  without it) of its name and of V8's data. */
function sound(file: Buffer, name: string): boolean {
  const crc = (zlib as { crc32?: (data: string | Buffer, value?: number) => number }).crc32;
  const magic = Buffer.from(crc ? "mailchat-v8cache-2\n" : "mailchat-v8cache-1\n");
  const size = crc ? 4 : 32;
  const data = file.subarray(magic.length + size);
  const sum = crc ? Buffer.alloc(4) : createHash("sha256").update(`${name}\n`).update(data).digest();
  if (crc) sum.writeUInt32BE(crc(data, crc(`${name}\n`)));
  return file.subarray(0, magic.length).equals(magic) && file.subarray(magic.length, magic.length + size).equals(sum) && data.length > 0;
}

test("a cache file with changed bytes anywhere, cut short or empty costs the cache, never the run, and is made anew", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const name = checkCacheName();
  const file = join(cache, name);
  const clean = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(clean.code, 0, clean.stderr);
  const good = readFileSync(file);
  assert.ok(sound(good, name), "the cache carries its checksum");
  const damages: Array<[string, (bytes: Buffer) => Buffer]> = [];
  // The magic, the checksum, V8's own header, and V8's data from its start to its end: changed
  // bytes in the data crashed Node (SIGTRAP, SIGSEGV) or ran damaged code before the checksum.
  for (const at of [0, 25, 51, 200, Math.floor(good.length / 3), Math.floor(good.length / 2), good.length - 64]) {
    damages.push([`bytes changed at ${at}`, (bytes) => {
      for (let i = at; i < Math.min(at + 8, bytes.length); i++) bytes[i] ^= 0x5a;
      return bytes;
    }]);
  }
  damages.push(["one bit changed in the middle", (bytes) => ((bytes[Math.floor(bytes.length / 2)] ^= 0x01), bytes)]);
  damages.push(["cut at half (a half-written file)", (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2))]);
  damages.push(["empty", () => Buffer.alloc(0)]);
  for (const [what, damage] of damages) {
    writeFileSync(file, damage(Buffer.from(good)), { mode: 0o600 });
    for (const run of ["first", "second"]) {
      const result = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
      assert.deepEqual([result.code, result.stdout, result.stderr], [clean.code, clean.stdout, clean.stderr], `${what}, ${run} run`);
    }
    assert.ok(sound(readFileSync(file), name), `${what}: a sound cache took its place`);
  }
});

/**
 * A module preloaded into the command (NODE_OPTIONS=--require): it records every file the
 * command opens in the cache directory (by fs.openSync or fs.writeFileSync), and where TEST_PLANT_LINK_TO is set it plays an
 * attacker who wins every race: just before the command creates a file there, a link to that
 * target is put at the very name.
 */
const SPY = String.raw`
const fs = require("node:fs");
const { resolve, sep } = require("node:path");
const dir = resolve(process.env.MAILCHAT_CACHE_DIR);
const creates = (flags) => (typeof flags === "number" ? (flags & fs.constants.O_CREAT) !== 0 : /[wa+]/.test(String(flags ?? "r")));
function opening(path, flags) {
  if (typeof path !== "string" || !resolve(path).startsWith(dir + sep)) return;
  fs.appendFileSync(process.env.TEST_OPEN_LOG, JSON.stringify({ path, flags }) + "\n");
  if (process.env.TEST_PLANT_LINK_TO && creates(flags)) {
    try {
      fs.symlinkSync(process.env.TEST_PLANT_LINK_TO, path);
    } catch {}
  }
}
const { openSync, writeFileSync } = fs;
fs.openSync = function (path, flags, ...rest) {
  opening(path, flags);
  return openSync.call(this, path, flags, ...rest);
};
// fs opens a file for writeFileSync(path) without its exported openSync.
fs.writeFileSync = function (path, data, options) {
  opening(path, (typeof options === "object" && options?.flag) || "w");
  return writeFileSync.call(this, path, data, options);
};
`;

interface Opened {
  path: string;
  flags: number | string;
}

/** Runs `check` with the spy; what it opened in the cache directory. */
async function spiedCheck(cache: string, plantLinkTo?: string): Promise<Opened[]> {
  const work = mkdtempSync(join(tmpdir(), "mailchat-cache-spy-"));
  writeFileSync(join(work, "spy.cjs"), SPY);
  const log = join(work, "opened.jsonl");
  writeFileSync(log, "");
  const env: Record<string, string> = { MAILCHAT_CACHE_DIR: cache, NODE_OPTIONS: `--require ${join(work, "spy.cjs")}`, TEST_OPEN_LOG: log };
  if (plantLinkTo) env.TEST_PLANT_LINK_TO = plantLinkTo;
  const result = await runCli(["check", SCRIPT], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  return readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Opened);
}

test("the first run of a build writes its cache through no link planted at any name it writes: names are unguessable, files new", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const target = join(mkdtempSync(join(tmpdir(), "mailchat-cache-target-")), "precious");
  writeFileSync(target, "the user's own file");
  const before = statSync(target);
  const names: string[] = [];
  for (let run = 0; run < 2; run++) {
    const opened = await spiedCheck(cache, target);
    assert.ok(readFileSync(target, "utf8") === "the user's own file", "the link's target is untouched");
    const written = opened.filter((open) => typeof open.flags !== "number" || (open.flags & constants.O_CREAT) !== 0);
    assert.ok(written.length > 0, "the run tried to write its cache");
    for (const open of written) {
      assert.equal(typeof open.flags, "number");
      const flags = open.flags as number;
      assert.equal(flags & (constants.O_EXCL | constants.O_NOFOLLOW), constants.O_EXCL | constants.O_NOFOLLOW, `${open.path}: created exclusively, never through a link`);
      assert.match(open.path, /\.v8cache\.[0-9a-f]{16}\.tmp$/, "a temporary name with 64 random bits");
      names.push(open.path);
    }
    for (const open of opened.filter((o) => !written.includes(o))) {
      assert.equal((open.flags as number) & constants.O_NOFOLLOW, constants.O_NOFOLLOW, `${open.path}: read without following a link`);
    }
  }
  assert.equal(new Set(names).size, names.length, "no name is used twice");
  assert.equal(statSync(target).mtimeMs, before.mtimeMs);
  assert.ok(!existsSync(join(cache, checkCacheName())), "no cache was adopted");
});

test("a link at the cache's own name is neither read nor written through: a private file replaces the link", async () => {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const target = join(mkdtempSync(join(tmpdir(), "mailchat-cache-target-")), "precious");
  writeFileSync(target, "the user's own file");
  const file = join(cache, checkCacheName());
  symlinkSync(target, file);
  const result = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(target, "utf8"), "the user's own file");
  assert.ok(lstatSync(file).isFile(), "the link was replaced, not followed");
  assert.ok(sound(readFileSync(file), checkCacheName()));
});

/** A cache directory with a sound cache in it, made by a run in a private directory. */
async function cacheDirWithCache(): Promise<string> {
  const cache = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const result = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.equal(result.code, 0, result.stderr);
  return cache;
}

test("no cache is read or written in a directory others can write, sticky or not (a shared /tmp)", async () => {
  for (const mode of [0o777, 0o1777, 0o770]) {
    const empty = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
    chmodSync(empty, mode);
    assert.deepEqual(await spiedCheck(empty), [], `mode ${mode.toString(8)}: nothing opened`);
    assert.deepEqual(readdirSync(empty), [], `mode ${mode.toString(8)}: no cache written`);
  }
  const full = await cacheDirWithCache();
  chmodSync(full, 0o1777);
  assert.deepEqual(await spiedCheck(full), [], "a cache made there before is not read");
});

test("no cache is used in a directory below one that others can write (not sticky): they could put another in its place", async () => {
  const shared = mkdtempSync(join(tmpdir(), "mailchat-code-cache-shared-"));
  chmodSync(shared, 0o777);
  const cache = join(shared, "mine");
  mkdirSync(cache, { mode: 0o700 });
  assert.deepEqual(await spiedCheck(cache), []);
  assert.deepEqual(readdirSync(cache), []);
});

test("a cache directory that is a link is not used, even to a private directory", async () => {
  const real = await cacheDirWithCache();
  const link = join(mkdtempSync(join(tmpdir(), "mailchat-code-cache-link-")), "cache");
  symlinkSync(real, link);
  const before = readdirSync(real);
  assert.deepEqual(await spiedCheck(link), [], "nothing opened through the link");
  assert.deepEqual(readdirSync(real), before);
  const empty = mkdtempSync(join(tmpdir(), "mailchat-code-cache-"));
  const emptyLink = join(mkdtempSync(join(tmpdir(), "mailchat-code-cache-link-")), "cache");
  symlinkSync(empty, emptyLink);
  assert.deepEqual(await spiedCheck(emptyLink), []);
  assert.deepEqual(readdirSync(empty), [], "no cache written through the link");
});

test("a cache directory or cache file of another user is not used", { skip: process.getuid?.() !== 0 && "needs root to give a file away" }, async () => {
  const theirs = await cacheDirWithCache();
  chownSync(theirs, 4242, 4242);
  assert.deepEqual(await spiedCheck(theirs), [], "their directory: nothing opened");
  const mine = await cacheDirWithCache();
  const file = join(mine, checkCacheName());
  chownSync(file, 4242, 4242);
  await spiedCheck(mine);
  assert.equal(statSync(file).uid, process.getuid!(), "their file was replaced by one of the user's");
});
