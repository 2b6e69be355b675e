// Cold start of the installed command (bin/mailchat): the median wall time of `mailchat check` on an example, next to
// `node -e 0` measured in the same run, so the figure means the same on any machine.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

const ROOT = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function time(args: string[], command = process.execPath): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr.toString()}`);
  return ms;
}

function measure(label: string, args: string[], command?: string): number {
  time(args, command); // warm the file system cache
  const samples = Array.from({ length: RUNS }, () => time(args, command));
  const value = median(samples);
  console.log(`${label.padEnd(44)} median ${value.toFixed(1).padStart(7)} ms  (min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)}, n=${RUNS})`);
  return value;
}

const baseline = measure("node -e 0", ["-e", "0"]);
const help = measure("mailchat --version", ["--version"], join(ROOT, "bin/mailchat"));
const check = measure("mailchat check examples/first.mailchat", ["check", "examples/first.mailchat"], join(ROOT, "bin/mailchat"));
const plain = measure("  the same without the snapshot", [join(ROOT, "bin/mailchat.cjs"), "check", "examples/first.mailchat"]);
console.log(`ratio check/node: ${(check / baseline).toFixed(2)}x (without the snapshot ${(plain / baseline).toFixed(2)}x)   --version/node: ${(help / baseline).toFixed(2)}x   check overhead: ${(check - baseline).toFixed(1)} ms`);
