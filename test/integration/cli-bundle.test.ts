// bin/mailchat.cjs runs the CLI from one bundled file with V8's code cache (scripts/bundle.ts):
// the cache is made on the first run, kept private, survives being corrupted, and the bundle
// says the same as the modules it was made from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync, readFileSync } from "node:fs";
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
  const second = await runCli(["check", SCRIPT], { env: { MAILCHAT_CACHE_DIR: cache } });
  assert.deepEqual([second.code, second.stdout, second.stderr], [first.code, first.stdout, first.stderr]);
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

test("a corrupted code cache is refused by V8 and made anew; the command's answer does not change", async () => {
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
