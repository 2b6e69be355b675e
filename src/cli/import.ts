// `mailchat import`: a pasted session (telnet, openssl s_client, swaks, golden) → a script.
import writeFileAtomic from "write-file-atomic";
import type { ProtocolName } from "../compile/steps.js";
import { PROTOCOL_NAMES, isProtocolName } from "../protocols/index.js";
import { compile, describeFsError } from "../compile/compile.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { generateScript } from "../import/generate.js";
import { replaceSecrets, spotSecrets } from "../import/secrets.js";
import { readTranscript } from "../import/transcript.js";
import { SecretBook } from "../secrets/book.js";
import { EXIT } from "../runtime/events.js";
import { readInput } from "./read-bounded.js";
import { IMPORT_SHOWN_CHARS, IMPORT_UNPLACED_SHOWN, MAX_IMPORT_BYTES, MAX_IMPORT_LINE_BYTES, MAX_IMPORT_LINES } from "../limits.js";
import { escapeText, printable } from "../transcript/escape.js";

// Bounds (src/limits.ts): a paste of more than MAX_IMPORT_BYTES or MAX_IMPORT_LINES, one
// holding a NUL byte (a binary, or UTF-16 text) or a line longer than MAX_IMPORT_LINE_BYTES is
// refused with exit 2 ("bad input" in `mailchat import --help`) and one paragraph saying
// where; nothing is written. Whatever of the paste reaches standard error or the script is
// escaped by the one rule of src/transcript/escape.ts (a CR inside a line shows as `\r`); on
// standard error the lines not placed are listed up to IMPORT_UNPLACED_SHOWN, each cut to
// IMPORT_SHOWN_CHARS, then counted (the script's comments hold them all, escaped, uncut).

/** Escaped text cut to IMPORT_SHOWN_CHARS, saying how much more there was. */
function clip(text: string): string {
  if (text.length <= IMPORT_SHOWN_CHARS) return text;
  const end = /[\ud800-\udbff]/.test(text[IMPORT_SHOWN_CHARS - 1]!) ? IMPORT_SHOWN_CHARS - 1 : IMPORT_SHOWN_CHARS;
  return `${text.slice(0, end)}… (${(text.length - end).toLocaleString("en")} more characters)`;
}

/** The control bytes (not tab, CR or LF) and the characters that are not UTF-8 in a paste,
 *  when they are more than 1 % of it: 0 for text. */
function notTextCount(bytes: Buffer, text: string): number {
  let count = 0;
  for (const byte of bytes) if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) count += 1;
  for (let i = text.indexOf("\ufffd"); i >= 0; i = text.indexOf("\ufffd", i + 1)) count += 1;
  return count > 16 && count > bytes.length / 100 ? count : 0;
}

/** Why the paste cannot be read as a session, in one paragraph: a NUL byte, an overlong
 *  line, too many lines. */
function refusal(bytes: Buffer, name: string): string | undefined {
  const lineOf = (offset: number) => {
    let line = 1;
    for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line += 1;
    return line;
  };
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
    if (utf16) return `${name} is UTF-16 text (a Windows "Unicode" file): save it as UTF-8 and import that.`;
    return `${name} is not text: it holds NUL bytes (the first on line ${lineOf(nul)}), as a binary file does. import reads a session pasted as text: telnet, openssl s_client or swaks output, or a golden transcript.`;
  }
  for (let start = 0, n = 1; start < bytes.length; n++) {
    if (n > MAX_IMPORT_LINES) {
      return `${name} has more than ${MAX_IMPORT_LINES.toLocaleString("en")} lines, the most import reads. A session copied from a terminal or a page is a few hundred: this looks like a log or a mailbox. Cut the session out of it and import that (a long message is better sent with \`data file\`).`;
    }
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    if (end - start > MAX_IMPORT_LINE_BYTES) {
      const begins = clip(escapeText(bytes.subarray(start, start + IMPORT_SHOWN_CHARS).toString("utf8")));
      return `${name} line ${n} is ${(end - start).toLocaleString("en")} bytes long, more than the ${MAX_IMPORT_LINE_BYTES.toLocaleString("en")} bytes import reads in one line (the longest reply line mailchat accepts from a server); it begins \`${begins}\`. No line of a typed session is that long: a file, a log or an attachment was pasted whole. Cut that line out, or break it where the session broke its lines, and import again.`;
    }
    start = end + 1;
  }
  return undefined;
}


export function importCommand(file: string, options: { output?: string; protocol?: string }): number {
  if (options.protocol && !isProtocolName(options.protocol)) {
    process.stderr.write(`mailchat: --protocol takes ${PROTOCOL_NAMES.join(", ")}, got \`${printable(options.protocol)}\`\n`);
    return EXIT.invalid;
  }
  const input = readInput(file, MAX_IMPORT_BYTES, (name) => `${name} holds more than ${MAX_IMPORT_BYTES.toLocaleString("en")} bytes (${MAX_IMPORT_BYTES / 1_048_576} MiB), the most import reads. A session copied from a terminal or a page is a few kilobytes: this looks like a log, a mailbox or a binary file. Cut the session out of it and import that.`);
  if ("error" in input) {
    process.stderr.write(`${input.error}\n`);
    return EXIT.invalid;
  }
  const bytes = input.bytes;
  const name = file === "-" ? "standard input" : printable(file);
  const refused = refusal(bytes, name);
  if (refused) {
    process.stderr.write(`mailchat: ${refused}\n`);
    return EXIT.invalid;
  }
  const text = bytes.toString("utf8").replace(/^\ufeff/, "");
  const notText = notTextCount(bytes, text);
  if (!text.trim()) {
    process.stderr.write(`mailchat: ${name} is empty: paste a session (telnet, openssl s_client, swaks or a golden transcript)\n`);
    return EXIT.invalid;
  }
  const transcript = readTranscript(text, options.protocol ? { protocol: options.protocol as ProtocolName } : {});
  const generated = generateScript(transcript, file === "-" ? "standard input" : file);
  // Credentials the generator did not turn into `auth` lines are found by their place in the
  // protocol and replaced by environment references; nothing written may hold one.
  const secrets = spotSecrets(transcript);
  const book = new SecretBook();
  for (const secret of secrets) book.add(secret.value);
  const { script, references } = replaceSecrets(generated.script, secrets);
  const result = { ...generated, script };
  for (const entry of result.unplaced.slice(0, IMPORT_UNPLACED_SHOWN)) process.stderr.write(`mailchat: line ${entry.line} not placed (${entry.why}): ${clip(book.redact(escapeText(entry.text)))}\n`);
  const more = result.unplaced.length - IMPORT_UNPLACED_SHOWN;
  if (more > 0) process.stderr.write(`mailchat: … and ${more.toLocaleString("en")} more line(s) not placed (${result.unplaced.length.toLocaleString("en")} in all): the script's \`# import:\` comments show each, escaped\n`);
  for (const reference of references) process.stderr.write(`mailchat: a credential the paste holds (line ${reference.line}) is written as \${env.${reference.variable}}: export it before running the script\n`);
  // The script must compile (the credentials it references count as given): if not, it is
  // still written, so it can be fixed by hand, and the status says so.
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const name of script.match(/\$\{env\.(MAILCHAT_[A-Z0-9_]+)\}/g) ?? []) env[name.slice(6, -1)] = "x";
  // Params are the user's to give (`--var host=…`): a stand-in value checks the rest.
  const vars = Object.fromEntries([...script.matchAll(/^param (\w+)/gm)].map((m) => [m[1]!, "example.invalid"]));
  const compiled = compile(options.output ?? "imported.mailchat", { source: script, env, vars });
  // A paste of which nothing reads as a session (all prose, a flattened line) gives an empty
  // script: it would pass against any server, so it is not a success.
  const empty = !transcript.entries.some((e) => e.kind === "client" || e.kind === "server");
  // A script that sends nothing (the paste shows replies but no command: `s_client` fed from
  // a pipe prints none) proves as little: every `expect` after the greeting waits in vain.
  const sendsNothing = !empty && !/^\s*(?:send|auth|starttls|data|bdat|pipeline|probe)\b/m.test(result.script);
  if (notText > 0) process.stderr.write(`mailchat: ${name} does not look like text: ${notText.toLocaleString("en")} of its ${bytes.length.toLocaleString("en")} bytes are control bytes or not UTF-8 (a binary file, or a terminal recording full of escape sequences?)\n`);
  if (empty) process.stderr.write("mailchat: nothing in this paste reads as the lines of a session (every line is prose, a prompt or tool output); the script holds only the connect\n");
  if (sendsNothing) process.stderr.write("mailchat: no command of the client's was placed: the paste shows what the server said but not what was sent (a tool fed from a pipe, such as `openssl s_client`, does not echo its input); the script sends nothing, so it proves nothing\n");
  const invalid = compiled.diagnostics.length > 0 || empty || sendsNothing;
  if (compiled.diagnostics.length > 0) {
    process.stderr.write(`mailchat: the imported script does not compile yet; fix it by hand:\n${book.redact(renderDiagnostics(compiled.diagnostics, () => script, { color: false }))}\n`);
  }
  if (options.output) {
    try {
      writeFileAtomic.sync(options.output, result.script);
    } catch (error) {
      process.stderr.write(`mailchat: cannot write ${printable(options.output)}: ${describeFsError(error)}\n`);
      return EXIT.invalid;
    }
    process.stderr.write(`mailchat: wrote ${printable(options.output)} (${transcript.format} transcript, ${transcript.protocol.toUpperCase()})\n`);
  } else {
    process.stdout.write(result.script);
  }
  return invalid ? EXIT.expectationFailed : EXIT.ok;
}
