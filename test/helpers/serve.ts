// `mailchat serve FILE.golden` in a child process (with --once unless told): resolves once it
// listens, with the port, the CA file it wrote, the child (to signal it) and a promise of its
// exit, output and peak resident memory.
import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./paths.js";
import { peakOf } from "./cli.js";

export interface Served {
  port: number;
  ca: string;
  child: ChildProcess;
  exit: Promise<{ code: number | null; stdout: string; peakMiB: number }>;
}

export function serveOnce(golden: string, ca: string, timeoutMs = 60_000, extra: string[] = []): Promise<Served> {
  return startServe(golden, ca, { timeoutMs, extra });
}

export function startServe(golden: string, ca: string, options: { timeoutMs?: number; extra?: string[]; once?: boolean } = {}): Promise<Served> {
  const once = options.once ?? true;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, "serve", golden, ...(once ? ["--once"] : []), "--ca-out", ca, ...(options.extra ?? [])], { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
    let stdout = "";
    let peakMiB = 0;
    const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, peakOf(child.pid))), 20);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not finish: ${stdout}`));
    }, options.timeoutMs ?? 60_000);
    const exit = new Promise<{ code: number | null; stdout: string; peakMiB: number }>((done) =>
      child.on("close", (code) => {
        clearTimeout(timer);
        clearInterval(sampler);
        done({ code, stdout, peakMiB });
      }),
    );
    const ready = once ? "serving each recorded connection once" : "Ctrl-C stops the server";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
      if (port && stdout.includes(ready)) resolvePromise({ port: Number(port), ca, child, exit });
    });
  });
}
