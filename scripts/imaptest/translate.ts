// Translates Dovecot imaptest's script tests (src/tests/NAME, MIT licensed) into .mailchat
// scripts: `node dist/scripts/imaptest/translate.js IMAPTEST_TESTS_DIR OUT_DIR NAME…`.
// What it reads of imaptest's format (docs/scripted_test.md there), and what each part becomes:
//   header  connections: N  → sessions c1…cN (`connect … as cN`, `use cN`)
//           state: nonauth|auth|created|appended|selected; messages: N; user 2: $user2
//           → each session logs in; every mailbox the test names is deleted (and
//             unsubscribed) first, the test mailbox created, N messages appended, selected
//   [N] ok|no|bad|"" COMMAND   → `use cN`, `send COMMAND`, `expect OK|NO|BAD|any`
//   [N] tagK COMMAND … tagK ok → a `pipeline` of typed tags, `expect tagK OK` each
//   * UNTAGGED                  → `untagged "* UNTAGGED"` on the same `expect`
//   ! UNTAGGED                  → `not untagged "…"`
//   ? UNTAGGED                  → a comment: imaptest lets it come or not, and so does this
//   {{{ … }}}, ~{{{ … }}}       → a sized literal `{"…"}` / `~{"…"}` in a command; a quoted
//                                 string (equal to a literal of the same bytes) in a response
//   $var                        → `$var` in responses, `${var}` in commands
// Files are read as bytes: a BINARY literal's bytes need not be UTF-8.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export interface Translation {
  script?: string;
  /** Message files the script appends (`{file "…"}`), by name relative to the script (bytes, one character each). */
  files?: Record<string, string>;
  refused?: string;
}

/** An mbox `From ` line as imaptest reads one: sender, date, and maybe a time zone. */
const FROM_LINE = /^From \S+\s+\w{3} (\w{3}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})(?: ([+-]\d{4}))?\s*$/;

/** The messages of an mbox file, as imaptest appends them: every line up to the next `From `
 *  line (blank lines included), with the date of its `From ` line as the internal date. */
export function mboxMessages(mbox: string): Array<{ text: string; date?: string }> {
  const messages: Array<{ text: string; date?: string }> = [];
  let current: { lines: string[]; date: string } | undefined;
  const lines = mbox.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines) {
    const from = FROM_LINE.exec(line);
    if (from) {
      if (current) messages.push({ text: `${current.lines.join("\n")}\n`, date: current.date });
      current = { lines: [], date: `${from[2]!.padStart(2, "0")}-${from[1]}-${from[4]} ${from[3]} ${from[5] ?? "+0000"}` };
      continue;
    }
    current?.lines.push(line);
  }
  if (current) messages.push({ text: `${current.lines.join("\n")}\n`, date: current.date });
  return messages;
}

const STATUS: Record<string, string> = { ok: "OK", no: "NO", bad: "BAD", '""': "any" };

/** imaptest's `$1` is a fine name there; a mailchat variable needs a letter first. */
function varName(name: string): string {
  return /^\d/.test(name) ? `v${name}` : name;
}

/** A line of the test with its `{{{ … }}}` literals: text and literal bytes in turn. */
type Segment = { text: string } | { literal: string; binary: boolean };

/** imaptest's multi-line literals (test-parser.c): `{{{` ends a line, the lines up to `}}}`
 *  are the literal (CRLF between them; in a `~{{{` literal LF, after each line's own bytes,
 *  a CR included), and the `}}}` line goes on with the command or response. */
function logicalLines(body: string): Array<{ segments: Segment[] }> {
  const out: Array<{ segments: Segment[] }> = [];
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (!line.replace(/\r$/, "").endsWith("{{{")) {
      out.push({ segments: [{ text: line.replace(/\r$/, "") }] });
      continue;
    }
    const segments: Segment[] = [];
    for (;;) {
      const open = line.replace(/\r$/, "");
      const binary = open.endsWith("~{{{");
      segments.push({ text: open.slice(0, open.length - (binary ? 4 : 3)) });
      const content: string[] = [];
      for (i += 1; i < lines.length && !lines[i]!.startsWith("}}}"); i++) {
        const raw = lines[i]!;
        // A BINARY literal's line keeps its bytes (a CR before the LF included) and gets an LF.
        content.push(binary ? `${raw}\n` : `${raw.replace(/\r$/, "")}\r\n`);
      }
      // The line end added before `}}}` is not the literal's.
      const literal = content.join("").slice(0, content.length > 0 ? (binary ? -1 : -2) : undefined);
      segments.push({ literal, binary });
      line = (lines[i] ?? "").slice(3);
      if (!line.replace(/\r$/, "").endsWith("{{{")) {
        segments.push({ text: line.replace(/\r$/, "") });
        break;
      }
    }
    out.push({ segments });
  }
  return out;
}

/** Bytes (one character each) as a mailchat string's body: escapes for what is not printable ASCII. */
function escapeBytes(bytes: string, extra: RegExp): string {
  return bytes.replace(/[\\"\r\n\t$#]|[^\x20-\x7e]/g, (ch) => {
    if (ch === "\\" || ch === '"') return `\\${ch}`;
    if (ch === "\r") return "\\r";
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch === "$") return "\\$";
    if (ch === "#" && !extra.test(ch)) return ch;
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** The names of mailboxes a test creates, renames to, appends to or subscribes: imaptest
 *  deletes (and unsubscribes) every `$mailbox*` before a test; these are what a run leaves. */
function mailboxesNamed(body: string): string[] {
  const names = new Set<string>(["${mailbox}"]);
  for (const m of body.matchAll(/\b(?:create|rename\s+\S+|subscribe|append)\s+("[^"]*"|\S+)/gi)) {
    const name = m[1]!.replace(/^"|"$/g, "").replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => `\${${a ?? b}}`);
    if (name.startsWith("${mailbox}")) names.add(name.replace(/\$\{sep\}$/, ""));
  }
  // Children first: a parent with children cannot be deleted on every server.
  return [...names].sort((a, b) => b.localeCompare(a));
}

export function translate(name: string, text: string, mbox?: string, mboxName = name): Translation {
  // The header ends at the first empty line; the body keeps every line after it.
  const split = /\n[ \t\r]*\n/.exec(text);
  const head = split ? text.slice(0, split.index) : "";
  const header: Record<string, string> = {};
  let body = text;
  if (split && /^[a-z0-9 ]+:/im.test(head) && head.split("\n").every((l) => /^[a-z0-9 ]+:\s*\S|^#/i.test(l))) {
    for (const line of head.split("\n")) {
      const m = /^([a-z0-9 ]+):\s*(.*)$/i.exec(line);
      if (m) header[m[1]!.toLowerCase()] = m[2]!.trim();
    }
    body = text.slice(split.index + split[0].length);
  }
  const connections = Math.max(Number(header.connections ?? 1), ...[...body.matchAll(/^(\d+) /gm)].map((m) => Number(m[1])));
  const state = header.state ?? "selected";
  // imaptest appends the messages of NAME.mbox (or default.mbox); mailchat sends the same
  // messages as sized literals from files written beside the script.
  const source = mbox ? mboxMessages(mbox) : [];
  const messages = header.messages === undefined ? 0 : header.messages === "all" ? source.length : Number(header.messages);
  if (Number.isNaN(messages)) return { refused: `messages: ${header.messages}` };
  if (messages > 0 && source.length === 0) return { refused: `messages: ${header.messages} needs the messages of an mbox file` };

  const out: string[] = [
    `# Translated from imaptest src/tests/${name} (https://github.com/dovecot/imaptest, MIT licence)`,
    "# by scripts/imaptest/translate.ts; run against Dovecot in the interop suite.",
    "param host default \"localhost\"",
    "param port",
    "param user default \"alice@mailchat.test\"",
    "param password secret",
    `param mailbox default "imaptest-${name}"`,
  ];
  // imaptest's own variables, which its URLs join as `imap://$username@$domain/`: there a user
  // logs in without a domain. Here the login is alice@mailchat.test, so the URL's user part is
  // the whole login (its `@` escaped, RFC 5092) and the host is the server's.
  if (/\$\{?(?:username|domain|mailbox_url)\b/.test(body)) out.push('set username = "alice%40mailchat.test"', "set domain = ${host}", "set mailbox_url = ${mailbox}");
  const users = new Map<string, string>();
  for (const [key, value] of Object.entries(header)) {
    const user = /^user (\d+)$/.exec(key);
    if (user && /^\$\{?user2\}?$/.test(value)) users.set(`c${user[1]}`, "2");
  }
  if (users.size > 0) out.push('param user2 default "bob@mailchat.test"', "param password2 secret");
  const sessions = Array.from({ length: connections }, (_, i) => `c${i + 1}`);
  const files: Record<string, string> = {};
  const message = (n: number) => {
    if (source.length === 0) return `{"From: imaptest@mailchat.test\\r\\nTo: alice@mailchat.test\\r\\nSubject: message ${n}\\r\\nDate: Mon, 2 Mar 2026 10:00:0${n % 10} +0000\\r\\n\\r\\nBody of message ${n}.\\r\\n"}`;
    // imaptest starts over at the mbox's first message when it runs out, and so does this.
    const index = (n - 1) % source.length;
    const file = `messages/${mboxName}-${index + 1}.eml`;
    files[file] = source[index]!.text;
    const date = source[index]!.date;
    return `${date ? `"${date}" ` : ""}{file "${file}"}`;
  };
  for (const session of sessions) {
    out.push("", `connect imap://\${host}:\${port} as ${session}`, "expect OK", "starttls");
    if (state === "nonauth") continue;
    const other = users.get(session);
    out.push(other ? `auth login \${user${other}} \${password${other}}` : "auth login ${user} ${password}", "expect OK");
    if (session !== "c1") continue;
    // What an earlier run left goes first, as imaptest deletes every `$mailbox*` before a test.
    const names = mailboxesNamed(body);
    if (/\$\{?sep\b/.test(body)) out.push('send LIST "" ""', 'expect OK untagged "* LIST $ $sep $"');
    for (const box of names) out.push(`send UNSUBSCRIBE "${box}"`, "expect any", `send DELETE "${box}"`, "expect any");
    if (state === "auth") continue;
    out.push("send CREATE ${mailbox}", "expect OK");
    for (let n = 1; n <= messages; n++) out.push(`send APPEND \${mailbox} ${message(n)}`, "expect OK");
  }
  if (state === "selected") for (const session of sessions) out.push(`use ${session}`, "send SELECT ${mailbox}", "expect OK");

  // Values known before the test (interpolated, `${name}`); the others bind where they first stand.
  const known = new Set<string>(["mailbox", "sep", "user", "username", "domain", "mailbox_url", "user2"]);
  /** Values an untagged line has bound by now (a response code's regex matches them). */
  const bound = new Set<string>();
  let appended = messages;
  let current = sessions[sessions.length - 1]!;
  type Command = { tag?: string; text: Segment[]; status?: string; code?: string };
  type Group = { session: string; commands: Command[]; untagged: string[]; forbidden: string[]; optional: string[] };
  let pending: Group | undefined;

  /** An imaptest value in a command: `$mailbox` → `${mailbox}`, `$$` → `$`. */
  const inCommand = (line: string) => line.replace(/\$\$/g, "\u0000").replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => `\${${varName(a ?? b!)}}`).replace(/\u0000/g, "$");
  /** A command's line with its literals sized by mailchat: `{"…"}`, `~{"…"}` for BINARY. */
  const commandLine = (segments: Segment[]) =>
    segments.map((s) => ("text" in s ? inCommand(s.text) : `${s.binary ? "~" : ""}{"${escapeBytes(s.literal, /#/)}"}`)).join("");
  /** An untagged line for `untagged "…"`: imaptest's `$var`, `$$` and structure carry over;
   *  a known variable is interpolated; a literal is a quoted string of the same bytes. */
  const asString = (segments: Segment[]) => {
    let pattern = "";
    for (const s of segments) {
      if ("literal" in s) {
        pattern += `\\"${escapeBytes(s.literal.replace(/[\\"]/g, (ch) => `\\${ch}`), /[^]/)}\\"`;
        continue;
      }
      const line = s.text.replace(/\$\$/g, "\u0000").replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
        const variable = varName(a ?? b!);
        return known.has(variable) ? `\u0001{${variable}}` : `\u0002${variable}`;
      });
      pattern += line.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\u0000/g, "$$$$").replace(/\u0001/g, "$").replace(/\u0002/g, "$");
    }
    return `"* ${pattern}"`;
  };
  /** `[COPYUID $uidvalidity $srcuid $uid]` as a regex: a new value captured, a known one matched. */
  const codeRegex = (code: string) =>
    code
      .split(/(\$\w+)/)
      .map((part) => {
        if (!part.startsWith("$")) return part.replace(/[[\]().*+?^|\\{}]/g, (ch) => `\\${ch}`).replace(/ /g, " ");
        const variable = varName(part.slice(1));
        if (known.has(variable) || bound.has(variable)) return `\${${variable}}`;
        known.add(variable);
        return `(?<${variable}>[^\\s\\]]+)`;
      })
      .join("");
  const flush = () => {
    const group = pending;
    pending = undefined;
    if (!group || group.commands.length === 0) return;
    if (group.session !== current) {
      out.push(`use ${group.session}`);
      current = group.session;
    }
    const lines = group.commands.map((command) => {
      let line = commandLine(command.text);
      // A bare APPEND appends the next message, as imaptest takes the next one of its mbox.
      const append = /^append\s+(\S+)(\s+\([^)]*\))?\s*$/i.exec(line);
      if (append || /^append$/i.test(line)) {
        appended += 1;
        line = `APPEND ${append?.[1] ?? "${mailbox}"}${append?.[2] ?? ""} ${message(appended)}`;
      }
      return command.tag ? `${command.tag} ${line}` : line;
    });
    if (group.commands.some((c) => c.tag)) out.push("pipeline", ...lines.map((l) => `  send ${l}`), "end");
    else out.push(`send ${lines[0]}`);
    for (const line of group.optional) out.push(`# imaptest lets this come or not (\`?\`): ${line}`);
    group.commands.forEach((command, index) => {
      const matchers = [STATUS[command.status ?? "ok"] ?? "OK"];
      if (command.tag) matchers[0] = `${command.tag} ${matchers[0]}`;
      if (command.code && !/[\s$]/.test(command.code)) matchers.push(command.code.toUpperCase());
      // Untagged responses belong to the group (imaptest matches them against all it sent):
      // they go on the last completion, which sees every untagged line since the group began.
      if (index === group.commands.length - 1) {
        for (const line of group.untagged) matchers.push(`untagged ${line}`);
        for (const line of group.forbidden) matchers.push(`not untagged ${line}`);
      }
      // A code with values (`[APPENDUID $uidvalidity $uid]`): a regex on the tagged line.
      if (command.code && /[\s$]/.test(command.code)) matchers.push(`/^\\S+ ${STATUS[command.status ?? "ok"]} ${codeRegex(command.code)}/im`);
      out.push(`expect ${matchers.join(" ")}`);
    });
  };

  const sessionOf = (number: string | undefined) => (number ? `c${number}` : sessions[0]!);
  for (const { segments } of logicalLines(body)) {
    const first = segments[0] as { text: string };
    const line = first.text.trim();
    if (segments.length === 1 && !line) continue;
    if (segments.length === 1 && line.startsWith("#")) {
      // A comment between a command and its responses stays with them.
      if (!pending) out.push(line);
      continue;
    }
    const trimmed: Segment[] = [{ text: first.text.trimStart() }, ...segments.slice(1)];
    const kind = line.slice(0, 2);
    if (kind === "* " || kind === "! " || kind === "? ") {
      if (!pending) return { refused: `an untagged line with no command before it: ${line}` };
      const response: Segment[] = [{ text: (trimmed[0] as { text: string }).text.slice(2) }, ...trimmed.slice(1)];
      if (kind === "* ") {
        pending.untagged.push(asString(response));
        for (const v of line.matchAll(/(?<!\$)\$\{?(\w+)/g)) bound.add(varName(v[1]!));
      }
      else if (kind === "! ") pending.forbidden.push(asString(response));
      else pending.optional.push(line.slice(2));
      continue;
    }
    // `[N] [tagK] ok|no|bad|"" [COMMAND]`, or `[N] [tagK] COMMAND` whose status follows.
    // Matched on the line as typed: the space before a literal belongs to the command.
    const m = /^(?:(\d+)\s+)?(?:(tag\d+)\s+)?(?:(ok|no|bad|"")(?:\s+|$))?(.*)$/is.exec(segments.length > 1 ? first.text.trimStart() : line)!;
    const [, number, tag, status, rest] = m;
    const restSegments: Segment[] = [{ text: rest! }, ...trimmed.slice(1)];
    const commandText = rest!.trim();
    // A status alone (or with a code) completes a command of the group in flight.
    if (status && pending && (segments.length === 1 && (!commandText || /^\[[^\]]*\]$/.test(commandText)))) {
      const command = tag ? pending.commands.find((c) => c.tag === tag) : pending.commands.find((c) => !c.status);
      if (command && !command.status) {
        command.status = status.toLowerCase();
        if (commandText) command.code = commandText;
        continue;
      }
    }
    const session = sessionOf(number);
    if (!sessions.includes(session)) return { refused: `session ${number} beyond connections: ${connections}` };
    // A tagged command joins the group in flight on the same session (pipelined).
    if (!(tag && pending && pending.session === session && pending.commands.every((c) => c.tag) && pending.commands.some((c) => !c.status))) flush();
    pending ??= { session, commands: [], untagged: [], forbidden: [], optional: [] };
    const command: Command = { text: restSegments };
    if (tag) command.tag = tag;
    if (status) command.status = status.toLowerCase();
    pending.commands.push(command);
  }
  flush();
  out.push("");
  const loggedOut = new Set([...body.matchAll(/^(?:(\d+)\s+)?(?:ok|no|bad|"")\s+logout\b/gim)].map((m) => `c${m[1] ?? 1}`));
  for (const session of sessions) if (!loggedOut.has(session)) out.push(`use ${session}`, "send LOGOUT", "expect OK", "close");
  return Object.keys(files).length > 0 ? { script: `${out.join("\n")}\n`, files } : { script: `${out.join("\n")}\n` };
}

function main(): void {
  const [testsDir, outDir, ...names] = process.argv.slice(2);
  if (!testsDir || !outDir || names.length === 0) {
    process.stderr.write("usage: translate IMAPTEST_TESTS_DIR OUT_DIR NAME…\n");
    process.exitCode = 2;
    return;
  }
  mkdirSync(outDir, { recursive: true });
  for (const name of names) {
    const own = join(testsDir, `${name}.mbox`);
    const mbox = readFileSync(existsSync(own) ? own : join(testsDir, "default.mbox"), "latin1");
    const result = translate(name, readFileSync(join(testsDir, name), "latin1"), mbox, existsSync(own) ? name : "default");
    if (result.script) writeFileSync(join(outDir, `${name}.mailchat`), Buffer.from(result.script, "latin1"));
    for (const [file, text] of Object.entries(result.files ?? {})) {
      mkdirSync(join(outDir, "messages"), { recursive: true });
      writeFileSync(join(outDir, file), Buffer.from(text, "latin1"));
    }
    process.stdout.write(`${name}: ${result.script ? "translated" : `refused: ${result.refused}`}\n`);
  }
}

if (process.argv[1]?.endsWith("translate.js")) main();
