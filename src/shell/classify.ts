// What a line typed into `mailchat shell` is. The rule (docs/shell.md) keeps a protocol line
// from ever being taken for something else: only a line starting with `:` is the shell's own,
// and only a line whose first word is a statement keyword written in lower case is a language
// statement. Everything else goes to the server as typed — so `DATA`, `STARTTLS`, `CLOSE`,
// `AUTH LOGIN` in capitals are protocol lines, and `data`, `starttls`, `auth login alice` are
// the statements of the same name.

/** The keywords a statement starts with (grammar/tokens.ts), as the shell recognises them. */
export const STATEMENT_KEYWORDS = ["send", "expect", "starttls", "auth", "data", "bdat", "pipeline", "probe", "set", "timeout", "mask", "close", "allow", "param"] as const;

export const SHELL_COMMANDS = [
  { name: ":help", usage: ":help", what: "this list, and how a typed line is read" },
  { name: ":show", usage: ":show", what: "the script recorded so far" },
  { name: ":save", usage: ":save FILE", what: "write the script recorded so far to FILE (atomically)" },
  { name: ":quit", usage: ":quit", what: "end the session (QUIT/LOGOUT is not sent: type it first to end politely)" },
] as const;

export type TypedLine =
  | { kind: "empty" }
  | { kind: "comment"; text: string }
  | { kind: "shell"; command: string; argument: string }
  | { kind: "statement"; keyword: (typeof STATEMENT_KEYWORDS)[number]; text: string }
  | { kind: "protocol"; text: string };

export function classify(line: string): TypedLine {
  const text = line.trim();
  if (text === "") return { kind: "empty" };
  if (text.startsWith("#")) return { kind: "comment", text };
  if (text.startsWith(":")) {
    const match = /^(:\S*)\s*(.*)$/.exec(text)!;
    return { kind: "shell", command: match[1]!, argument: match[2]! };
  }
  const first = /^\S+/.exec(text)![0];
  const keyword = STATEMENT_KEYWORDS.find((k) => k === first);
  if (keyword) return { kind: "statement", keyword, text };
  return { kind: "protocol", text };
}

/** `auth MECH USER`: a statement the shell answers by asking for the password. The terminal
 *  mutes what is typed after it at once, so a password typed ahead of its prompt (or pasted
 *  with the line) is not echoed either. */
export function asksForPassword(line: string): boolean {
  const typed = classify(line);
  return typed.kind === "statement" && typed.keyword === "auth" && typed.text.split(/\s+/).length === 3;
}
