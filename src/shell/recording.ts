// The script a shell session records: a header saying where and when, then each entry — the
// lines typed (as the grammar reads them) and one `expect` for each reply read after them.
// The session compiles it whole before each new line, so a line behaves as it would in the
// saved script; passwords are kept out of it, in the environment variables it names.
import { join } from "node:path";
import { compile, type CompileOptions, type CompileResult } from "../compile/compile.js";
import type { SecretBook } from "../secrets/book.js";
import { escapeText } from "../transcript/escape.js";

/** Where the session's script lives for the compiler: `data file` paths typed are relative
 *  to the current directory, as a user at a prompt expects. */
export const SESSION_FILE = join(process.cwd(), "(shell)");

export interface Entry {
  lines: string[];
  /** One `expect` for each reply the shell read after the lines. */
  expects: string[];
}

export interface RecordingOptions {
  compile: Omit<CompileOptions, "source" | "env">;
  secrets: SecretBook;
  /** What the header comment says about where the session was recorded. */
  recordedAt: string;
  /** How to run the saved script (`mailchat run FILE`, `--sandbox` …). */
  runCommand: string;
}

export class Recording {
  readonly entries: Entry[] = [];
  /** Passwords typed, by the environment variable the script reads them from. */
  private readonly env: Record<string, string> = {};
  private readonly started = new Date();

  constructor(private readonly options: RecordingOptions) {}

  /** The script recorded so far. */
  text(): string {
    return `${[...this.header(), ...this.body()].join("\n")}\n`;
  }

  /** Bytes of the script recorded so far. */
  get size(): number {
    return this.entries.reduce((sum, entry) => sum + [...entry.lines, ...entry.expects].reduce((n, line) => n + line.length + 1, 0), 0);
  }

  /** The script with `extra` lines at the end, compiled; `first` is the line of the first. */
  compileWith(extra: string[]): { result: CompileResult; first: number; source: string } {
    const lines = [...this.header(), ...this.body()];
    const source = `${[...lines, ...extra].join("\n")}\n`;
    const result = compile(SESSION_FILE, { ...this.options.compile, env: { ...process.env, ...this.env }, source });
    return { result, first: lines.length + 1, source };
  }

  /** The environment variable a password is read from: MAILCHAT_PASSWORD, then _2, _3 … */
  envFor(password: string): string {
    this.options.secrets.add(password);
    const known = Object.entries(this.env).find(([, value]) => value === password);
    if (known) return known[0];
    const count = Object.keys(this.env).length;
    const name = count === 0 ? "MAILCHAT_PASSWORD" : `MAILCHAT_PASSWORD_${count + 1}`;
    this.env[name] = password;
    return name;
  }

  private header(): string[] {
    const lines = [`# Recorded by \`mailchat shell\` from ${escapeText(this.options.recordedAt)} on ${this.started.toISOString().replace(/\.\d+Z$/, "Z")}.`];
    const names = Object.keys(this.env);
    if (names.length > 0) lines.push(`# The password${names.length > 1 ? "s are" : " is"} not in this script: export ${names.join(", ")} before running it.`);
    lines.push(`# Run it again: ${this.options.runCommand}`);
    return lines;
  }

  private body(): string[] {
    return this.entries.flatMap((entry) => [...entry.lines, ...entry.expects]);
  }
}

/** A `send` line as the grammar reads it (` #` would start a comment, `${` interpolate). */
export function sendLine(text: string): string {
  const line = text.replace(/\$\{/g, () => "$${");
  if (/\s#/.test(text)) return `send raw ${JSON.stringify(`${text}\r\n`).replace(/\$\{/g, () => "\\${")}`;
  return line ? `send ${line}` : "send";
}

/** A body line of a `data` block: `${` is written `$${` (the body is interpolated). */
export function bodyLine(text: string): string {
  return text.replace(/\$\{/g, () => "$${");
}
