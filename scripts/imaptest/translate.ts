// Translates Dovecot imaptest's script tests (src/tests/NAME, MIT licensed) into .mailchat
// scripts: `node dist/scripts/imaptest/translate.js IMAPTEST_TESTS_DIR OUT_DIR NAME…`.
// What it reads of imaptest's format, and how each part becomes mailchat:
//   header  connections: N  → sessions c1…cN (`connect … as cN`, `use cN`)
//           state: nonauth|auth|created|selected (default selected); messages: N
//           → each session logs in; the test mailbox is created, N messages appended, and
//             selected, as imaptest does before the test
//   [N] ok|no|bad|"" COMMAND   → `use cN`, `send COMMAND`, `expect OK|NO|BAD|any`
//   * UNTAGGED                  → a regex on the same `expect` (any order, case-insensitive;
//                                 a flag list matches as a set)
//   ! UNTAGGED                  → `not /…/`
//   $var                        → a named capture the first time, `${var}` after
// Files using what has no mailchat form yet are refused with the reason (docs in the
// generated README).
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { escapeRegex } from "../../src/regex-escape.js";
import { join } from "node:path";

export interface Translation {
  script?: string;
  /** Message files the script appends (`{file "…"}`), by name relative to the script. */
  files?: Record<string, string>;
  refused?: string;
}

/** The messages of an mbox file ("From " lines separate them; ">From " is unescaped), each
 *  with the date of its "From " line as an IMAP date-time (imaptest's internal date). */
export function mboxMessages(mbox: string): Array<{ text: string; date?: string }> {
  const parts = mbox.split(/^(From [^\n]*)\n/m).slice(1);
  const messages: Array<{ text: string; date?: string }> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const when = /(\w{3}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})\s*$/.exec(parts[i]!);
    const text = parts[i + 1]!.replace(/^>(>*From )/gm, "$1").replace(/\n+$/, "\n");
    messages.push(when ? { text, date: `${when[2]!.padStart(2, "0")}-${when[1]}-${when[4]} ${when[3]} +0000` } : { text });
  }
  return messages;
}

const STATUS: Record<string, string> = { ok: "OK", no: "NO", bad: "BAD", '""': "any" };

/** imaptest's `$1` is a fine name there; a regex group needs a letter first. */
function varName(name: string): string {
  return /^\d/.test(name) ? `v${name}` : name;
}


export function translate(name: string, text: string, mbox?: string, mboxName = name): Translation {
  const [head, ...rest] = text.split(/\n\s*\n/);
  const header: Record<string, string> = {};
  let body = text;
  if (head && /^[a-z]+:/m.test(head) && head.split("\n").every((l) => /^[a-z]+:\s*\S|^#/.test(l))) {
    for (const line of head.split("\n")) {
      const m = /^([a-z]+):\s*(.*)$/.exec(line);
      if (m) header[m[1]!] = m[2]!.trim();
    }
    body = rest.join("\n\n");
  }
  const connections = Number(header.connections ?? 1);
  const state = header.state ?? "selected";
  // imaptest appends the messages of NAME.mbox (or default.mbox); mailchat sends the same
  // messages as sized literals from files written beside the script.
  const source = mbox ? mboxMessages(mbox) : [];
  const messages = header.messages === undefined ? 0 : header.messages === "all" ? source.length : Number(header.messages);
  if (Number.isNaN(messages)) return { refused: `messages: ${header.messages}` };
  if (messages > 0 && source.length === 0) return { refused: `messages: ${header.messages} needs the messages of an mbox file` };
  if (/\$!/.test(body) || /^\s*\?/m.test(body)) return { refused: "`?` lines (responses matched by imaptest's own directives such as $!unordered)" };
  if (/^\* .*\n\* /m.test(head ?? "") === false && /^(\d+ )?ok list "" ""\n\* list .*\n\* list /m.test(body)) return { refused: "alternative responses (either of two untagged lines)" };
  if (/^\s*tag\d/m.test(body)) return { refused: "explicit tags and pipelined commands answered out of order (tag1 … tag4 ok)" };
  if (/\$\$\{|\{\d+\}|~\{/.test(body)) return { refused: "literals written into the test" };
  if (/^\s*(?:\d\s+)?(?:ok|no|bad|"")?\s*(?:append|catenate)\b.*\(.*\{/im.test(body)) return { refused: "APPEND with a literal of the test's own" };
  if (header.capabilities && /\b(?:NOTIFY|CATENATE|BINARY|LITERAL-|URLAUTH)\b/i.test(header.capabilities)) return { refused: `needs ${header.capabilities}` };

  const out: string[] = [
    `# Translated from imaptest src/tests/${name} (https://github.com/dovecot/imaptest, MIT licence)`,
    "# by scripts/imaptest/translate.ts; run against Dovecot in the interop suite.",
    "param host default \"localhost\"",
    "param port",
    "param user default \"alice@mailchat.test\"",
    "param password secret",
    `param mailbox default "imaptest-${name}"`,
  ];
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
    if (state !== "nonauth") out.push("auth login ${user} ${password}", "expect OK");
    if (session === "c1" && (state === "created" || state === "selected")) {
      // What an earlier run left (the test's own mailboxes included) goes first.
      out.push("send DELETE ${mailbox}", "expect any", "send DELETE ${mailbox}2", "expect any", "send DELETE ${mailbox}3", "expect any", "send CREATE ${mailbox}", "expect OK");
      for (let n = 1; n <= messages; n++) out.push(`send APPEND \${mailbox} ${message(n)}`, "expect OK");
    }
  }
  if (state === "selected") for (const session of sessions) out.push(`use ${session}`, "send SELECT ${mailbox}", "expect OK");

  const known = new Set<string>(["mailbox"]);
  let appended = messages;
  let current = sessions[sessions.length - 1]!;
  type Pending = { session: string; command?: string; status?: string; code?: string; untagged: string[]; forbidden: string[] };
  let pending: Pending | undefined;

  /** An imaptest value in a command: `$mailbox` → `${mailbox}`, `$$` → `$`. */
  const inCommand = (line: string) => line.replace(/\$\$/g, "\u0000").replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => `\${${varName(a ?? b!)}}`).replace(/\u0000/g, "$");
  /** An imaptest untagged line as a regex: values captured or matched, flag lists as sets. */
  const asRegex = (line: string, capturing: Set<string>): string => {
    let source = "";
    const tokens = line.replace(/\$\$/g, "\u0000").split(/(\$\{\w+\}|\$\w+|\bflags \([^)]*\)|^status \S+ \([^)]*\))/i);
    for (const token of tokens) {
      const variable = /^\$\{(\w+)\}$|^\$(\w+)$/.exec(token);
      if (variable) {
        const name = varName(variable[1] ?? variable[2]!);
        if (known.has(name)) source += `"?\${${name}}"?`;
        else if (capturing.has(name)) source += `\\k<${name}>`;
        else {
          capturing.add(name);
          // A hierarchy separator is used inside names, so it is captured without its quotes;
          // other values keep theirs (a quoted date holds spaces).
          source += name === "sep" ? `"?(?<sep>[^\\s"()]*)"?` : `(?<${name}>"[^"]*"|[^\\s"()\\]]*)`;
        }
        continue;
      }
      // STATUS items come in the server's order: each pair must be there.
      const status = /^status (\S+) \(([^)]*)\)$/i.exec(token);
      if (status) {
        source += `status ${asRegex(status[1]!, capturing)} \\(`;
        const words = status[2]!.split(/\s+/);
        for (let i = 0; i + 1 < words.length; i += 2) source += `(?=[^)]*\\b${escapeRegex(words[i]!)} ${asRegex(words[i + 1]!, capturing)}[ )])`;
        source += "[^)]*\\)";
        continue;
      }
      const flags = /^flags \(([^)]*)\)$/i.exec(token);
      if (flags) {
        const members = flags[1]!.replace(/\u0000/g, "$").split(/\s+/).filter(Boolean);
        source += `FLAGS \\(${members.map((m) => `(?=[^)]*${escapeRegex(m)}(?![\\w$]))`).join("")}[^)]*\\)`;
        continue;
      }
      source += escapeRegex(token.replace(/\u0000/g, "$"));
    }
    return source;
  };
  /** An untagged line for `untagged "…"`: imaptest's `$var`, `$$` and structure carry over;
   *  the test's own mailbox is the script's `${mailbox}`. */
  const asString = (line: string) => `"* ${line.replace(/\$\{mailbox\}|\$mailbox\b/g, "\u0001").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\u0001/g, "${mailbox}")}"`;
  const flush = () => {
    if (!pending?.command) return void (pending = undefined);
    if (pending.session !== current) {
      out.push(`use ${pending.session}`);
      current = pending.session;
    }
    let command = inCommand(pending.command);
    // A bare APPEND appends the next message, as imaptest takes the next one of its mbox.
    const append = /^append\s+(\S+)(\s+\([^)]*\))?\s*$/i.exec(command);
    if (append || /^append$/i.test(command)) {
      appended += 1;
      command = `APPEND ${append?.[1] ?? "${mailbox}"}${append?.[2] ?? ""} ${message(appended)}`;
    }
    out.push(`send ${command}`);
    const capturing = new Set<string>();
    const matchers = [STATUS[pending.status ?? "ok"] ?? "OK", ...(pending.code && !pending.code.includes(" ") ? [pending.code] : [])];
    for (const line of pending.untagged) matchers.push(`untagged ${asString(line)}`);
    if (pending.code?.includes(" ")) matchers.push(`/^\\S+ ${matchers[0]} ${asRegex(pending.code, capturing)}/im`);
    for (const line of pending.forbidden) matchers.push(`not untagged ${asString(line)}`);
    for (const name of capturing) known.add(name);
    out.push(`expect ${matchers.join(" ")}`);
    pending = undefined;
  };

  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#")) {
      flush();
      out.push(line);
      continue;
    }
    if (line.startsWith("* ")) {
      if (!pending) return { refused: `an untagged line with no command before it: ${line}` };
      pending.untagged.push(line.slice(2));
      continue;
    }
    if (line.startsWith("! ")) {
      if (!pending) return { refused: `a forbidden line with no command before it: ${line}` };
      pending.forbidden.push(line.slice(2));
      continue;
    }
    const m = /^(?:(\d+)\s+)?(ok|no|bad|"")(?:\s+(.*))?$/i.exec(line);
    if (m && !m[3] && pending && !pending.status) {
      // `examine $mailbox`, its untagged lines, then `ok [read-only]`: the status comes last.
      pending.status = m[2]!.toLowerCase();
      continue;
    }
    if (m && m[3] && /^\[[^\]]+\]$/.test(m[3]) && pending && !pending.status) {
      pending.status = m[2]!.toLowerCase();
      pending.code = m[3].toUpperCase();
      continue;
    }
    flush();
    if (m && m[3]) {
      const session = m[1] ? `c${m[1]}` : sessions[0]!;
      if (!sessions.includes(session)) return { refused: `session ${m[1]} beyond connections: ${connections}` };
      pending = { session, command: m[3], status: m[2]!.toLowerCase(), untagged: [], forbidden: [] };
      continue;
    }
    const bare = /^(?:(\d+)\s+)?([a-z].*)$/i.exec(line);
    if (bare) {
      pending = { session: bare[1] ? `c${bare[1]}` : sessions[0]!, command: bare[2]!, untagged: [], forbidden: [] };
      continue;
    }
    return { refused: `a line mailchat cannot place: ${line}` };
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
    const mbox = existsSync(own) ? readFileSync(own, "utf8") : readFileSync(join(testsDir, "default.mbox"), "utf8");
    const result = translate(name, readFileSync(join(testsDir, name), "utf8"), mbox, existsSync(own) ? name : "default");
    if (result.script) writeFileSync(join(outDir, `${name}.mailchat`), result.script);
    for (const [file, text] of Object.entries(result.files ?? {})) {
      mkdirSync(join(outDir, "messages"), { recursive: true });
      writeFileSync(join(outDir, file), text);
    }
    process.stdout.write(`${name}: ${result.script ? "translated" : `refused: ${result.refused}`}\n`);
  }
}

if (process.argv[1]?.endsWith("translate.js")) main();
