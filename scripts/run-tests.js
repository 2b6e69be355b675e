#!/usr/bin/env node
// Runs the compiled tests with node's test runner: every dist/test/**/*.test.js, except the
// interop suite (real Postfix and Dovecot), which `npm run test:interop` runs on its own.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const suite = process.argv[2] ?? "default";
const root = "dist/test";
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith(".test.js")) files.push(path);
  }
})(root);
const interop = (file) => file.split("/").includes("interop");
const selected = files.filter((file) => (suite === "interop" ? interop(file) : !interop(file))).sort();
if (selected.length === 0) {
  console.error(`no ${suite} tests found under ${root}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-concurrency=2", ...selected], { stdio: "inherit" });
process.exit(result.status ?? 1);
