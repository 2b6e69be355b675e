// The shell's input and output: Node's readline (line editing, history, completion) on a
// terminal, plain lines from a pipe. Lines are queued as they arrive and taken one at a time,
// so a pasted or piped session runs in order while replies are awaited. Output that arrives
// while the prompt is shown (a reply, a close) is written above it.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { Writable } from "node:stream";
import writeFileAtomic from "write-file-atomic";

/** Lines of history kept in the cache directory. */
export const HISTORY_LINES = 1_000;

/** A line that logs in: never written to the history file (docs/shell.md). */
const HOLDS_CREDENTIALS = /^\s*(?:auth\b|(?:\S+\s+)?(?:LOGIN|AUTHENTICATE|AUTH|PASS|APOP)\b)/i;

export interface TerminalOptions {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Where the history lives (a terminal only); undefined keeps none. */
  historyFile?: string;
  complete?: (line: string) => string[];
  /** A line after which the next one is a password: what is typed from then on is not echoed,
   *  even before the password prompt is shown (typed ahead, pasted). */
  asksForSecret?: (line: string) => boolean;
}

export class Terminal {
  readonly interactive: boolean;
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private muted = false;
  private readingSecret = false;
  private prompting = false;
  private prompt = "";
  private onInterrupt: (() => void) | undefined;

  constructor(private readonly options: TerminalOptions) {
    this.interactive = Boolean(options.input.isTTY && options.output.isTTY);
    const out = options.output;
    // The password prompt mutes what readline echoes; everything else passes.
    const echo = new Writable({
      write: (chunk, _encoding, callback) => {
        if (!this.muted) out.write(chunk);
        callback();
      },
    });
    Object.defineProperty(echo, "columns", { get: () => out.columns ?? 80 });
    Object.assign(echo, { isTTY: this.interactive });
    this.rl = createInterface({
      input: options.input,
      output: echo,
      terminal: this.interactive,
      history: this.interactive ? readHistory(options.historyFile) : [],
      historySize: this.interactive ? HISTORY_LINES : 0,
      removeHistoryDuplicates: true,
      ...(this.interactive && options.complete ? { completer: (line: string) => completion(line, options.complete!) } : {}),
    });
    this.rl.on("line", (line) => {
      // Muted now, before the next key is echoed; `read` unmutes if no password is asked.
      if (this.interactive && options.asksForSecret?.(line)) this.muted = true;
      if (this.waiter) {
        const waiter = this.waiter;
        this.waiter = undefined;
        this.prompting = false;
        waiter(line);
      } else this.queue.push(line);
    });
    this.rl.on("close", () => {
      // A prompt drawn after this would resume the input and keep the process alive.
      if (this.prompting && this.interactive) this.options.output.write("\n");
      this.prompting = false;
      this.ended = true;
      this.waiter?.(undefined);
      this.waiter = undefined;
    });
    this.rl.on("SIGINT", () => this.onInterrupt?.());
  }

  /** Ctrl-C on the terminal (a pipe gets the signal itself). */
  interrupted(handler: () => void): void {
    this.onInterrupt = handler;
  }

  /** The next line typed, or undefined at the end of input. */
  read(prompt: string): Promise<string | undefined> {
    // A line that would have asked for a password did not (a body line, a refused statement).
    if (!this.readingSecret) this.muted = false;
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(undefined);
    this.prompt = prompt;
    if (this.interactive) {
      this.rl.setPrompt(prompt);
      this.prompting = true;
      this.rl.prompt();
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Stops waiting for a line (the server closed the connection): the read gives undefined. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (this.prompting && this.interactive) this.options.output.write("\r\x1b[K");
    this.prompting = false;
    waiter?.(undefined);
  }

  /** A password: not echoed on a terminal, and kept out of the history. */
  async readSecret(prompt: string): Promise<string | undefined> {
    if (this.interactive) this.options.output.write(prompt);
    this.muted = true;
    this.readingSecret = true;
    try {
      const line = await this.read("");
      this.forget(line);
      return line;
    } finally {
      this.readingSecret = false;
      this.muted = false;
      if (this.interactive) this.options.output.write("\n");
    }
  }

  /** Takes a line out of the history (it held a credential). */
  forget(line: string | undefined): void {
    const history = (this.rl as unknown as { history?: string[] }).history;
    if (line === undefined || !history) return;
    const at = history.indexOf(line);
    if (at >= 0) history.splice(at, 1);
  }

  /** Output, written above the prompt when one is shown. */
  write(text: string): void {
    const out = this.options.output;
    if (!this.prompting || !this.interactive || this.ended) {
      out.write(text);
      return;
    }
    out.write("\r\x1b[K");
    out.write(text);
    this.rl.prompt(true);
  }

  /** Writes the history (a terminal's), without lines that logged in, and stops reading. */
  close(): void {
    const history = (this.rl as unknown as { history?: string[] }).history ?? [];
    this.rl.close();
    const file = this.options.historyFile;
    if (!this.interactive || !file) return;
    try {
      mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
      const kept = history.filter((line) => !HOLDS_CREDENTIALS.test(line)).slice(0, HISTORY_LINES);
      writeFileAtomic.sync(file, kept.map((line) => `${line}\n`).join(""), { mode: 0o600 });
    } catch {
      // a read-only cache: the session had its history, the next starts without it
    }
  }
}

/** The history file, newest line first as readline keeps it; none when unreadable. */
function readHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "" && !HOLDS_CREDENTIALS.test(line))
      .slice(0, HISTORY_LINES);
  } catch {
    return [];
  }
}

/** Completion of the word under the cursor (the last one typed). */
function completion(line: string, candidates: (line: string) => string[]): [string[], string] {
  const word = /\S*$/.exec(line)![0];
  const hits = candidates(line).filter((c) => c.toLowerCase().startsWith(word.toLowerCase()));
  return [hits, word];
}

/** Whether a typed line logs in (kept out of the history). */
export function holdsCredentials(line: string): boolean {
  return HOLDS_CREDENTIALS.test(line);
}
