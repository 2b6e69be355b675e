// `mailchat serve FILE.golden --once` in a child process: resolves once it listens, with the
// port, the CA file it wrote and a promise of its exit and output.
import { spawn } from "node:child_process";
import { CLI } from "./paths.js";

export interface Served {
  port: number;
  ca: string;
  exit: Promise<{ code: number | null; stdout: string }>;
}

export function serveOnce(golden: string, ca: string, timeoutMs = 60_000, extra: string[] = []): Promise<Served> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, "serve", golden, "--once", "--ca-out", ca, ...extra], { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not finish: ${stdout}`));
    }, timeoutMs);
    const exit = new Promise<{ code: number | null; stdout: string }>((done) =>
      child.on("close", (code) => {
        clearTimeout(timer);
        done({ code, stdout });
      }),
    );
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
      if (port && stdout.includes("serving each recorded connection once")) resolvePromise({ port: Number(port), ca, exit });
    });
  });
}
