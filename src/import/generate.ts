// A transcript → a .mailchat script that reproduces it: client lines become `send`, server
// replies `expect` (code and enhanced code), AUTH exchanges `auth` with the password left to
// the environment, DATA bodies `data` blocks. Lines that fit nowhere are reported, not guessed.
// (Over 300 lines because reading a paste is per protocol by nature — SMTP, POP3 and IMAP
// exchanges each have their own shapes; splitting it per protocol is planned with the import
// rework of issue 12.)
import type { ProtocolName } from "../compile/steps.js";
import { isMultiLineCommand } from "../protocols/pop3.js";
import { SCHEMES } from "../protocols/schemes.js";
import { escapeRegex } from "../regex-escape.js";
import { escapeBytes, escapeText } from "../transcript/escape.js";
import type { Entry, Transcript } from "./transcript.js";
import { messageBlock } from "./message.js";

export interface ImportResult {
  script: string;
  /** Lines that could not be placed, with why. */
  unplaced: Array<{ line: number; text: string; why: string }>;
}

const PASSWORD = "${env.MAILCHAT_PASSWORD}";
const CONTROLS = "it holds control characters, a terminal's escape sequences or overwrites: what was sent is not known";

function decode(b64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64.trim())) return undefined;
  const text = Buffer.from(b64.trim(), "base64").toString("utf8");
  // Printable text in any script (a non-ASCII password is still a password), NULs of PLAIN.
  return !text.includes("\ufffd") && !holdsControls(text.replace(/\0/g, "")) ? text : undefined;
}

/**
 * Whether text holds what the escape rule (transcript/escape.ts) shows escaped, a tab and a
 * backslash aside: a control (ESC, CR, BEL…), DEL, an invisible or reordering character. No
 * statement is written holding one as typed: it would act on the terminal every time the
 * script is shown. A paste's own text only ever reaches the script escaped, in a comment.
 */
function holdsControls(text: string): boolean {
  const plain = text.replace(/[\t\\]/g, " ");
  return escapeText(plain) !== plain;
}

/** Bytes as a .mailchat string literal for `send raw`: exact, whatever they hold. */
function rawLiteral(bytes: Buffer): string {
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x24) out += "\\x24"; // `${` would interpolate
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x0a) out += "\\n";
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}

/** A golden client line whose bytes a `send` line cannot carry (control bytes, invalid UTF-8). */
function needsRaw(bytes: Buffer): boolean {
  return escapeBytes(bytes) !== bytes.toString("utf8").replace(/\\/g, "\\\\");
}

/** A `send` line as the grammar reads it: ` #` would start a comment, `${` interpolate. */
function sendLine(text: string): string {
  if (/\s#/.test(text) || /\s$/.test(text)) return `send raw ${JSON.stringify(`${text}\r\n`).replace(/\$\{/g, () => "\\${")}`;
  return text ? `send ${text.replace(/\$\{/g, () => "$${")}` : "send";
}

function bodyLine(text: string): string {
  const unstuffed = text.startsWith("..") ? text.slice(1) : text;
  return unstuffed.replace(/\$\{/g, () => "$${");
}

function schemeFor(protocol: ProtocolName, port: number | undefined, implicitTls: boolean, upgrades: boolean): string {
  const candidates = Object.entries(SCHEMES).filter(([, s]) => s.protocol === protocol);
  const byPort = candidates.find(([, s]) => s.defaultPort === port);
  // A session that shows STARTTLS started in plaintext, whatever port it used (:465 shown
  // with STARTTLS is a server configured so, or a mislabelled paste): the port stays explicit.
  if (byPort && !(upgrades && byPort[1].implicitTls)) return byPort[0];
  if (upgrades) return candidates.find(([, s]) => !s.implicitTls)?.[0] ?? protocol;
  return candidates.find(([, s]) => s.implicitTls === implicitTls)?.[0] ?? protocol;
}


/** Commands a client may pipeline with more after them (RFC 2920 §3.1), and those that may
 *  only end a group (the compiler's rule, src/protocols/smtp.ts). */
const PIPELINED = /^(?:MAIL FROM|RCPT TO):/i;
const LAST_IN_PIPELINE = /^(?:DATA|RSET|NOOP)$/i;

/** What Cloudflare's e-mail obfuscation shows in place of an address (with a no-break space). */
const HIDDEN_ADDRESS = /\[email[\s\u00a0]protected\]/;

class Generator {
  readonly out: string[] = [];
  readonly unplaced: ImportResult["unplaced"] = [];
  private readonly entries: Entry[];
  private index = 0;
  private usesPassword = false;
  private lastClient: string | undefined;
  /** The protocol of the current connection (a golden transcript may hold several). */
  private protocol: ProtocolName;

  constructor(private readonly transcript: Transcript) {
    this.entries = transcript.entries;
    this.protocol = transcript.protocol;
  }

  private peek(offset = 0): Entry | undefined {
    return this.entries[this.index + offset];
  }

  private next(): Entry | undefined {
    return this.entries[this.index++];
  }

  generate(source: string): ImportResult {
    const header = [`# Imported by \`mailchat import\` from ${escapeText(source)} (${this.transcript.format} transcript, ${this.protocol.toUpperCase()}).`];
    this.connect();
    this.guard(0, this.entries.find((e) => e.kind === "connect")?.line ?? 1);
    while (this.index < this.entries.length) {
      const start = this.out.length;
      const line = this.peek()!.line;
      this.step();
      this.guard(start, line);
    }
    if (this.usesPassword) header.push("# The password is not in this script: export MAILCHAT_PASSWORD before running it.");
    if (this.unplaced.length > 0) header.push(`# ${this.unplaced.length} line(s) of the paste could not be placed: see the \`# import:\` comments.`);
    const params = this.placeholders();
    return { script: `${[...header, ...params, ...this.out].join("\n")}\n`, unplaced: this.unplaced };
  }

  /**
   * What an article asks the reader to type (`user <type your user name here>`, `retr <the
   * number of the mail>`) becomes a param the user gives with --var, never sent as written.
   * An address in angle brackets (`<a@example.com>`) or an empty `<>` is left alone.
   */
  private placeholders(): string[] {
    const params = new Map<string, string>();
    const nameFor = (text: string) => {
      const word = /\b(user(?:name)?|mailbox|folder|number|message|domain|address|email|recipient|sender|id)\b/i.exec(text)?.[1]?.toLowerCase().replace("username", "user");
      let name = word ?? "value";
      for (let n = 2; params.has(name) && params.get(name) !== text; n++) name = `${word ?? "value"}${n}`;
      return name;
    };
    // Cloudflare's e-mail obfuscation left `[email protected]` where the page had an address:
    // the user gives one (`--var address=…`); the stand-in lets the script compile and run.
    let hidden = false;
    this.out.forEach((line, i) => {
      if (!/^(?:send(?! raw)|auth) /.test(line) || !HIDDEN_ADDRESS.test(line)) return;
      hidden = true;
      this.out[i] = line.replace(new RegExp(HIDDEN_ADDRESS.source, "g"), "${address}");
    });
    this.out.forEach((line, i) => {
      if (!/^(?:send(?! raw)|auth) /.test(line)) return;
      // Not `<([^<>@]*\s[^<>@]*)>`: the two stars around `\s` make it quadratic on blanks.
      this.out[i] = line.replace(/<([^<>@]*)>/g, (whole: string, text: string) => {
        // A password placeholder is the credentials' step to handle: it becomes ${env.…}.
        if (!/\s/.test(text) || /pass/i.test(text)) return whole;
        const name = [...params.entries()].find(([, t]) => t === text)?.[0] ?? nameFor(text);
        params.set(name, text);
        return `\${${name}}`;
      });
    });
    const declared = [...params.entries()].map(([name, text]) => `param ${name} ${JSON.stringify(text.trim())}`);
    if (hidden) declared.unshift('param address "an address the page hid behind [email protected] (its e-mail obfuscation)" default "user@example.com"');
    return declared;
  }

  /** What `line` of the paste became (the statements from `start` on): any that would hold a
   *  control character is left out, shown escaped. (The body of a `data` block is checked
   *  line by line where it is written: a comment there would be sent as message text.) */
  private guard(start: number, line: number): void {
    let body = false;
    for (let i = start; i < this.out.length; i++) {
      const statement = this.out[i]!;
      if (body || statement === "data") {
        body = statement !== ".";
        continue;
      }
      if (statement.startsWith("#") || !holdsControls(statement)) continue;
      this.out[i] = `# import: line ${line} not placed (it would write control characters into the script): ${escapeText(statement)}`;
      this.unplaced.push({ line, text: statement, why: "it would write control characters into the script" });
    }
  }

  private connect(): void {
    const first = this.entries.findIndex((e) => e.kind === "connect");
    const entry = first >= 0 ? (this.entries[first] as Extract<Entry, { kind: "connect" }>) : undefined;
    if (first >= 0) this.entries.splice(first, 1);
    if (entry?.url) return this.connectUrl(entry.url);
    const upgrades = this.entries.some((e) => e.kind === "starttls-done" || (e.kind === "client" && /^(?:\S+ )?(?:STARTTLS|STLS)$/i.test(e.text.trim())));
    const scheme = schemeFor(this.protocol, entry?.port, this.transcript.implicitTls && !upgrades, upgrades);
    const defaultPort = SCHEMES[scheme]?.defaultPort;
    const banner = this.entries.find((e) => e.kind === "server");
    const bannerHost = banner && banner.kind === "server" ? /^(?:220[ -]|\* OK .*?|\+OK .*?)([a-z0-9-]+(?:\.[a-z0-9-]+)+)\b/i.exec(banner.text)?.[1] : undefined;
    // `telnet $MAILHOST 587`: a shell variable names no host; the banner may.
    const typed = entry?.host && !/[$%<>{}]/.test(entry.host) ? entry.host : undefined;
    const host = typed ?? bannerHost;
    const what = host?.startsWith("/") ? "UNIX socket to connect to" : "server to connect to";
    this.out.push(host ? `param host "${what}" default "${host}"` : `param host "${what}"`);
    const port = entry?.port && entry.port !== defaultPort ? `:${entry.port}` : "";
    this.out.push(`connect ${scheme}://\${host}${port}`);
    if (this.transcript.starttlsBeforePaste) this.upgradeBeforePaste();
  }

  private connectUrl(url: string): void {
    const scheme = /^([a-z0-9]+):\/\//.exec(url)?.[1] ?? "";
    const known = SCHEMES[scheme];
    if (known) this.protocol = known.protocol;
    this.out.push(`connect ${url}`);
  }

  /** `s_client -starttls smtp` did the greeting, EHLO and STARTTLS before printing anything. */
  private upgradeBeforePaste(): void {
    switch (this.protocol) {
      case "pop3":
        this.out.push("expect +OK", "starttls");
        break;
      case "imap":
        this.out.push("expect OK capability STARTTLS", "starttls");
        break;
      default:
        this.out.push("expect 220", `send ${this.protocol === "lmtp" ? "LHLO" : "EHLO"} mailchat.test`, "expect 250 capability STARTTLS", "starttls");
    }
  }

  private step(): void {
    const entry = this.next()!;
    switch (entry.kind) {
      case "server":
        this.index -= 1;
        return this.reply();
      case "client":
        return this.client(entry);
      case "tls":
        if (entry.version) this.out.push(`expect tls version = ${entry.version}`);
        return;
      case "cert":
        if (entry.verified === true) this.out.push("expect cert verified");
        if (entry.subject) this.out.push(`expect cert subject /${escapeRegex(entry.subject)}/`);
        return;
      case "starttls-done":
        return;
      case "closed":
        this.out.push("expect closed");
        return;
      case "connect":
        if (!entry.url) {
          this.out.push(`# import: line ${entry.line}: a second connection without its address is not imported`);
          this.unplaced.push({ line: entry.line, text: "(connect)", why: "a second connection without its address" });
          return;
        }
        if (this.out[this.out.length - 1] !== "expect closed") this.out.push("close");
        this.out.push("");
        return this.connectUrl(entry.url);
      case "unplaced":
        return this.notPlaced(entry);
    }
  }

  /** A line of the paste the script cannot hold: a comment, its text escaped, and a note. */
  private notPlaced(entry: { line: number; text: string; why: string }): void {
    this.out.push(`# import: line ${entry.line} not placed (${entry.why}): ${escapeText(entry.text)}`);
    this.unplaced.push({ line: entry.line, text: entry.text, why: entry.why });
  }

  /** Consumes the server lines of one reply and writes its `expect`. */
  private reply(): void {
    const lines: string[] = [];
    for (;;) {
      const entry = this.peek();
      if (!entry || entry.kind !== "server") break;
      this.index += 1;
      lines.push(entry.text);
      if (this.replyComplete(lines)) break;
    }
    this.out.push(this.expectFor(lines));
  }

  private replyComplete(lines: string[]): boolean {
    const last = lines[lines.length - 1]!;
    switch (this.protocol) {
      case "pop3":
        // RFC 1939: only some commands' +OK opens a dot-terminated list.
        return lines.length > 1 ? last === "." : !(last.startsWith("+OK") && this.lastClient !== undefined && isMultiLineCommand(this.lastClient));
      case "imap":
        return /^\+/.test(last) || /^[A-Za-z0-9.]+ (?:OK|NO|BAD)\b/.test(last) || (/^\* (?:OK|PREAUTH|BYE)\b/.test(last) && lines.length === 1 && this.out.every((l) => !l.startsWith("expect")));
      default:
        return /^\d{3}(?: |$)/.test(last) || !/^\d{3}-/.test(last);
    }
  }

  private expectFor(lines: string[]): string {
    const last = lines[lines.length - 1]!;
    switch (this.protocol) {
      case "pop3":
        return lines[0]!.startsWith("-ERR") ? `expect -ERR${this.responseCode(lines[0]!)}` : lines[0]!.startsWith("+ ") || lines[0] === "+" ? "expect +" : "expect +OK";
      case "imap": {
        if (/^\+/.test(last)) return "expect +";
        const status = /^(?:\*|[A-Za-z0-9.]+) (OK|NO|BAD|PREAUTH|BYE)\b/.exec(last)?.[1] ?? "OK";
        return `expect ${status === "PREAUTH" || status === "BYE" ? `OK "${status}"` : status}${this.responseCode(last)}`;
      }
      default: {
        const match = /^(\d{3})(?:[ -]([245]\.\d{1,3}\.\d{1,3}))?/.exec(last);
        if (!match) return `# import: this reply has no code: ${escapeText(last)}`;
        return `expect ${match[1]}${match[2] ? ` ${match[2]}` : ""}`;
      }
    }
  }

  private responseCode(line: string): string {
    const code = /\[([A-Za-z][A-Za-z0-9.-]*)[\] ]/.exec(line)?.[1];
    return code && !/^(CAPABILITY|UIDVALIDITY|UIDNEXT|PERMANENTFLAGS|READ-WRITE|READ-ONLY|HIGHESTMODSEQ)$/i.test(code) ? ` [${code.toUpperCase()}]` : "";
  }

  private serverText(offset: number): string | undefined {
    const entry = this.peek(offset);
    return entry?.kind === "server" ? entry.text : undefined;
  }

  private clientText(offset: number): string | undefined {
    const entry = this.peek(offset);
    return entry?.kind === "client" ? entry.text : undefined;
  }

  private client(entry: Extract<Entry, { kind: "client" }>): void {
    // A pasted line with a terminal's control characters (colours, a title, a CR that
    // overwrote the line) shows what the terminal drew, not what was sent. A golden line's
    // bytes are exact, and are sent as they are (`send raw`).
    if (!entry.raw && !entry.bytes && holdsControls(entry.text)) return this.notPlaced({ ...entry, why: CONTROLS });
    this.lastClient = entry.text;
    if (entry.raw) return void this.out.push(`send raw ${rawLiteral(entry.raw)}`);
    if (entry.bytes && needsRaw(entry.bytes)) return void this.out.push(`send raw ${rawLiteral(Buffer.concat([entry.bytes, Buffer.from("\r\n")]))}`);
    if (this.protocol === "imap") return this.imapClient(entry);
    if (this.protocol === "pop3") return this.pop3Client(entry);
    const text = entry.text.trim();
    let match: RegExpExecArray | null;
    if (/^STARTTLS$/i.test(text) && /^220\b/.test(this.serverText(0) ?? "")) {
      this.index += 1;
      this.out.push("starttls");
      return;
    }
    if (/^AUTH LOGIN$/i.test(text) && /^334 /.test(this.serverText(0) ?? "")) {
      const user = decode(this.clientText(1) ?? "");
      if (user !== undefined && /^334 /.test(this.serverText(2) ?? "") && this.clientText(3) !== undefined) {
        this.index += 4;
        return this.auth("login", user);
      }
    }
    if ((match = /^AUTH PLAIN(?: (\S+))?$/i.exec(text)) && this.plain(match[1], /^334\b/)) return;
    if (/^AUTH CRAM-MD5$/i.test(text) && /^334 /.test(this.serverText(0) ?? "")) {
      const user = decode(this.clientText(1) ?? "")?.split(" ")[0];
      if (user) {
        this.index += 2;
        return this.auth("cram-md5", user);
      }
    }
    if (/^DATA$/i.test(text) && /^354\b/.test(this.serverText(0) ?? "")) {
      this.index += 1;
      return this.body(entry);
    }
    // Several commands before any reply: the client pipelined them (RFC 2920).
    if (PIPELINED.test(text) && this.clientText(0) !== undefined && (PIPELINED.test(this.clientText(0)!) || LAST_IN_PIPELINE.test(this.clientText(0)!))) return this.pipeline(entry);
    this.out.push(sendLine(entry.text));
  }

  /**
   * A group of commands sent before their replies: a `pipeline` block, then the replies'
   * `expect`s; a group ending in DATA gets its `data` block after the 354.
   */
  private pipeline(first: Extract<Entry, { kind: "client" }>): void {
    const group = [first.text.trim()];
    // RFC 2920 §3.1: MAIL and RCPT may be followed by more; a command that changes the
    // session (DATA, RSET, …) may only end the group.
    for (let next = this.peek(); next?.kind === "client" && PIPELINED.test(group[group.length - 1]!); next = this.peek()) {
      if (!PIPELINED.test(next.text.trim()) && !LAST_IN_PIPELINE.test(next.text.trim())) break;
      this.index += 1;
      group.push(next.text.trim());
    }
    this.out.push("pipeline", ...group.map((command) => `  ${sendLine(command)}`), "end");
    this.lastClient = group[group.length - 1];
    for (let i = 0; i < group.length && this.peek()?.kind === "server"; i++) this.reply();
    const last = this.out[this.out.length - 1] ?? "";
    if (/^DATA$/i.test(group[group.length - 1]!) && /^expect 354\b/.test(last)) this.body(first);
  }

  /** The message body's client lines up to its `.`: a `data` block, or a `data message`
   *  block when the message carries a Date or Message-ID to make at run time. */
  private body(entry: Extract<Entry, { kind: "client" }>): void {
    const start = this.out.length;
    this.out.push("data");
    const ended = this.dataBlock(entry);
    const lines = this.out.slice(start + 1, -1);
    // Only a block that holds every line as it was sent (none left out, no `$${`) is rebuilt.
    const block = ended && lines.every((line) => !line.includes("$${") && !line.startsWith("# import:")) ? messageBlock(lines) : undefined;
    if (!block) return;
    this.out.splice(start, lines.length + 2, "# import: the message's Date and Message-ID are made when the script runs (`data message`), not replayed", ...block);
  }

  /** The lines of a `data` block, up to its `.`; false when the body never ended. */
  private dataBlock(entry: Extract<Entry, { kind: "client" }>): boolean {
    // Body lines the block cannot hold are noted after its `.` (a comment inside would be sent).
    const left: Array<{ line: number; text: string; why: string }> = [];
    for (;;) {
      const line = this.next();
      if (!line) {
        this.out.push(".");
        this.unplaced.push({ line: entry.line, text: "DATA", why: "the message body never ended with ." });
        return false;
      }
      if (line.kind !== "client") continue;
      if (line.text === ".") break;
      if (holdsControls(line.text)) {
        left.push({ line: line.line, text: line.text, why: "a message line with control characters, which a `data` block cannot hold (a golden line's bytes: use `data file`)" });
        continue;
      }
      if (line.text === "..") {
        // The message line "." cannot stand in a data block (it would end it).
        this.unplaced.push({ line: line.line, text: line.text, why: "a message line holding a single dot cannot be written in a `data` block; use `data file`" });
        continue;
      }
      this.out.push(bodyLine(line.text));
    }
    this.out.push(".");
    for (const line of left) this.notPlaced(line);
    return left.length === 0;
  }


  private pop3Client(entry: Extract<Entry, { kind: "client" }>): void {
    const text = entry.text.trim();
    let match: RegExpExecArray | null;
    if (/^STLS$/i.test(text) && /^\+OK/.test(this.serverText(0) ?? "")) {
      this.index += 1;
      this.out.push("starttls");
      return;
    }
    if ((match = /^USER (.+)$/i.exec(text)) && /^\+OK/.test(this.serverText(0) ?? "") && /^PASS /i.test(this.clientText(1) ?? "")) {
      this.index += 2;
      return this.auth("user", match[1]!);
    }
    // RFC 5034: the response with the command, or after a `+` continuation.
    if ((match = /^AUTH PLAIN(?: (\S+))?$/i.exec(text)) && this.plain(match[1], /^\+(?: |$)/)) return;
    this.out.push(sendLine(entry.text));
  }

  private imapClient(entry: Extract<Entry, { kind: "client" }>): void {
    const match = /^(\S+)\s+(.*)$/.exec(entry.text.trim());
    if (!match) {
      this.out.push(`# import: line ${entry.line} not placed (an IMAP command needs a tag): ${escapeText(entry.text)}`);
      this.unplaced.push({ line: entry.line, text: entry.text, why: "an IMAP command without a tag" });
      return;
    }
    const command = match[2]!;
    let login: RegExpExecArray | null;
    if (/^STARTTLS$/i.test(command) && /^\S+ OK\b/.test(this.serverText(0) ?? "")) {
      this.index += 1;
      this.out.push("starttls");
      return;
    }
    if ((login = /^LOGIN\s+("(?:[^"\\]|\\.)*"|\S+)\s+/i.exec(command))) {
      const user = login[1]!.startsWith('"') ? login[1]!.slice(1, -1).replace(/\\(.)/g, "$1") : login[1]!;
      return this.auth("login", user);
    }
    // RFC 9051 §6.2.2: SASL-IR, or the response after a `+` continuation.
    const plain = /^AUTHENTICATE PLAIN(?: (\S+))?$/i.exec(command);
    if (plain && this.plain(plain[1], /^\+(?: |$)/)) return;
    this.out.push(sendLine(command));
  }

  /**
   * AUTH PLAIN with its response on the command line, or in the client line after the
   * server's continuation (`334`, `+`): written as `auth plain USER`. False when the paste
   * does not show the user (the lines are then sent as they are).
   */
  private plain(initial: string | undefined, continuation: RegExp): boolean {
    const twoStep = initial === undefined && continuation.test(this.serverText(0) ?? "");
    // A capture that could not show the server's short continuation (Wireshark's POP3
    // details) has the response straight after the command.
    const unseenContinuation = initial === undefined && !twoStep && this.clientText(0) !== undefined;
    const blob = initial ?? (twoStep ? this.clientText(1) : unseenContinuation ? this.clientText(0) : undefined);
    const user = blob ? decode(blob)?.split("\0")[1] : undefined;
    if (user === undefined) return false;
    if (twoStep) this.index += 2;
    if (unseenContinuation) this.index += 1;
    this.auth("plain", user);
    return true;
  }

  private auth(mechanism: string, user: string): void {
    this.usesPassword = true;
    const value = /^[^\s"#$]+$/.test(user) ? user : JSON.stringify(user).replace(/\$\{/g, () => "\\${");
    if (!this.out.some((l) => l === "starttls") && !this.transcript.implicitTls && !this.out.includes("allow plaintext-auth")) {
      this.out.splice(this.out.findIndex((l) => l.startsWith("connect ")), 0, "# The original session sent the password unencrypted.", "allow plaintext-auth");
    }
    this.out.push(`auth ${mechanism} ${value} ${PASSWORD}`);
  }
}

export function generateScript(transcript: Transcript, source: string): ImportResult {
  return new Generator(transcript).generate(source);
}
