// Runs the real `mailchat` command as a user would, in a child process, bounded in time.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { CLI, REPO_ROOT } from "./paths.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident memory of the process in MiB (Linux /proc; 0 where unavailable). */
  peakMiB: number;
}

/** VmHWM: the high-water mark of resident memory, as the kernel counts it. */
export function peakOf(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** `command`: an installed command to start (bin/mailchat) instead of `node bin/mailchat.cjs`. */
export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string; input?: string; command?: string } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.command ?? process.execPath, options.command ? args : [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...options.env },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    // A command may stop reading before the input ends (import refuses a paste past its
    // limit, as `head` would): the rest of the write fails with EPIPE, which is not an error.
    if (options.input !== undefined) child.stdin!.on("error", () => undefined).end(options.input);
    let stdout = "";
    let stderr = "";
    let peakMiB = 0;
    const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, peakOf(child.pid))), 20);
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mailchat ${args.join(" ")} did not finish within ${options.timeoutMs ?? 30_000} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started, peakMiB });
    });
  });
}
