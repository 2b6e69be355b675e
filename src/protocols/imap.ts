// IMAP (RFC 9051, with RFC 3501 servers in mind): the runner tags each command (A1, A2, …);
// a reply is the untagged lines plus the tagged completion, or a `+` continuation request.
// Literals `{n}` are read by byte count, so message text that looks like a completion
// (a line "A1 OK" inside a FETCH BODY[]) cannot end a reply early.
import { MAX_LIST_LINES, MAX_LITERAL_BYTES, MAX_MESSAGE_REPLY_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import { cramMd5Response, loginResponses, plainResponse, xoauth2Response } from "../sasl/index.js";
import { openSasl, type CredentialSpotter, type SaslExchange } from "../secrets/spotting.js";
import { LineBuffer, joinLines } from "./line-buffer.js";
import { FramingError, type Capabilities, type CommandSession, type Credentials, type Exchange, type Protocol, type Reply, type ReplyFramer } from "./types.js";

/** An IMAP line (without literals) may be long — SEARCH results, CAPABILITY — but not endless. */
export const MAX_IMAP_LINE_BYTES = 1_048_576;

const LITERAL_AT_END = /\{(\d+)\}$/;

export class ImapFramer implements ReplyFramer {
  private readonly input = new LineBuffer();
  private lines: string[] = [];
  private raw: Buffer[] = [];
  /** The line being assembled, across literals: its text and its exact bytes. */
  private current = "";
  private currentRaw: Buffer[] = [];
  private literalLeft = 0;
  private bytes = 0;
  private greeting: boolean;
  /** Tags of commands sent and not yet completed: only their tagged lines end a reply. */
  private readonly tags = new Set<string>();
  private tagsSeen = false;

  constructor(greeting: boolean) {
    this.greeting = greeting;
  }

  sent(line: string): void {
    const tag = /^([^\s*+(){%"\\\]]+) /.exec(line)?.[1];
    if (tag) {
      this.tags.add(tag.toUpperCase());
      this.tagsSeen = true;
    }
  }

  push(chunk: Buffer): Reply[] {
    this.input.push(chunk);
    const replies: Reply[] = [];
    for (;;) {
      if (this.literalLeft > 0) {
        if (this.input.waiting === 0) break;
        const taken = this.input.take(this.literalLeft);
        this.currentRaw.push(taken);
        this.literalLeft -= taken.length;
        this.bytes += taken.length;
        this.checkTotal();
        if (this.literalLeft === 0) {
          // The literal is decoded whole, so a character split across chunks stays intact.
          const literal = Buffer.concat(this.currentRaw.splice(this.literalStart));
          this.currentRaw.push(literal);
          this.current += literal.toString("utf8");
        }
        continue;
      }
      const next = this.input.next();
      if (!next) break;
      if (next.raw.length > MAX_IMAP_LINE_BYTES) throw new FramingError(`the server sent a line of ${next.raw.length} bytes (limit ${MAX_IMAP_LINE_BYTES} outside literals)`, next.raw.subarray(0, 120));
      this.bytes += next.bytes;
      this.checkTotal();
      this.current += next.text;
      this.currentRaw.push(next.raw);
      const literal = LITERAL_AT_END.exec(next.text);
      if (literal) {
        const size = Number(literal[1]);
        if (size > MAX_LITERAL_BYTES) throw new FramingError(`the server announced a literal of ${size} bytes (limit ${MAX_LITERAL_BYTES})`, Buffer.from(this.current.slice(0, 120)));
        this.current += "\n";
        this.currentRaw.push(CRLF);
        this.literalStart = this.currentRaw.length;
        this.literalLeft = size;
        if (size > 0) continue;
        continue;
      }
      const line = this.current;
      const raw = this.currentRaw.length === 1 ? this.currentRaw[0]! : Buffer.concat(this.currentRaw);
      this.current = "";
      this.currentRaw = [];
      this.lines.push(line);
      this.raw.push(raw);
      if (this.lines.length > MAX_LIST_LINES) {
        throw new FramingError(`the server sent more than ${MAX_LIST_LINES} lines without completing the command (no tagged reply)`, joinLines(this.raw.slice(0, 3)));
      }
      const reply = this.completes(line);
      if (reply) replies.push(reply);
    }
    if (this.literalLeft === 0 && this.input.waitingLine > MAX_IMAP_LINE_BYTES) {
      throw new FramingError(`the server sent ${this.input.waitingLine} bytes without a line end (limit ${MAX_IMAP_LINE_BYTES} outside literals)`, this.input.preview());
    }
    return replies;
  }

  private literalStart = 0;

  private checkTotal(): void {
    if (this.bytes > MAX_MESSAGE_REPLY_BYTES) {
      throw new FramingError(`the server sent more than ${MAX_MESSAGE_REPLY_BYTES} bytes without completing the command (no tagged reply)`, joinLines(this.raw.slice(0, 3)));
    }
  }

  /** The reply ends at the tagged line of a command sent, a `+` continuation, or (first of
   *  all) the greeting. A tagged line with another tag is data, not the command's answer. */
  private completes(line: string): Reply | undefined {
    if (line.startsWith("+")) return this.finish("+");
    if (line.startsWith("*")) {
      if (!this.greeting) return undefined;
      this.greeting = false;
      const status = /^\* (OK|PREAUTH|BYE)\b/i.exec(line)?.[1]?.toUpperCase();
      return this.finish(status);
    }
    const tagged = /^(\S+) (OK|NO|BAD)\b/i.exec(line);
    if (tagged && this.tagsSeen && !this.tags.delete(tagged[1]!.toUpperCase())) return undefined;
    const reply = this.finish(tagged?.[2]?.toUpperCase());
    if (tagged) reply.tag = tagged[1]!;
    return reply;
  }

  private finish(status: string | undefined): Reply {
    const reply: Reply = { lines: this.lines, raw: this.raw, bytes: this.bytes };
    if (status) reply.status = status;
    this.lines = [];
    this.raw = [];
    this.bytes = 0;
    return reply;
  }

  pending(): Buffer {
    const rest = Buffer.concat([...this.currentRaw, this.input.bytes()]);
    return joinLines(rest.length > 0 ? [...this.raw, rest] : this.raw);
  }

  discard(): number {
    const dropped = this.bytes + this.input.clear();
    this.lines = [];
    this.raw = [];
    this.current = "";
    this.currentRaw = [];
    this.literalLeft = 0;
    this.bytes = 0;
    return dropped;
  }
}

const CRLF = Buffer.from("\r\n");

/** `* CAPABILITY …` data, or a `[CAPABILITY …]` code in the greeting or a completion. */
export function imapCapabilities(reply: Reply): Capabilities | undefined {
  for (const line of reply.lines) {
    const match = /^\* CAPABILITY (.*)$/i.exec(line) ?? /\[CAPABILITY ([^\]]*)\]/i.exec(line);
    if (!match) continue;
    const capabilities: Capabilities = new Map();
    for (const atom of match[1]!.trim().split(/\s+/)) {
      // AUTH=PLAIN reads as AUTH with the parameter PLAIN, as in an EHLO reply.
      const [keyword, param] = atom.toUpperCase().split("=", 2) as [string, string | undefined];
      const params = capabilities.get(keyword) ?? [];
      if (param !== undefined) params.push(param);
      capabilities.set(keyword, params);
    }
    return capabilities;
  }
  return undefined;
}

/** RFC 9051 §4.3: a quoted string escapes `\` and `"`. */
export function quoteImapString(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

async function authenticate(exchange: Exchange, { mechanism, user, secret }: Credentials): Promise<void> {
  if (mechanism === "login") {
    // As in the transcripts: `a1 LOGIN user pass` is IMAP's own command, not SASL LOGIN.
    const tag = exchange.nextTag();
    await exchange.send(`${tag} LOGIN ${quoteImapString(user)} ${quoteImapString(secret)}`, `${tag} LOGIN ${quoteImapString(user)} ${SECRET_PLACEHOLDER}`);
    return exchange.putBack(await exchange.reply());
  }
  const saslIr = exchange.capabilities()?.has("SASL-IR") ?? false;
  const tag = exchange.nextTag();
  const respond = async (line: string, shown: string) => exchange.send(line, shown);
  const challenge = async (): Promise<string | undefined> => {
    const reply = await exchange.reply();
    if (reply.status !== "+") {
      exchange.putBack(reply);
      return undefined;
    }
    return reply.lines[reply.lines.length - 1]!.replace(/^\+ ?/, "");
  };
  switch (mechanism) {
    case "plain": {
      const response = plainResponse(user, secret);
      if (saslIr) {
        await exchange.send(`${tag} AUTHENTICATE PLAIN ${response}`, `${tag} AUTHENTICATE PLAIN ${SECRET_PLACEHOLDER}`);
      } else {
        await exchange.send(`${tag} AUTHENTICATE PLAIN`);
        if ((await challenge()) === undefined) return;
        await respond(response, SECRET_PLACEHOLDER);
      }
      break;
    }
    case "xoauth2": {
      const response = xoauth2Response(user, secret);
      if (saslIr) {
        await exchange.send(`${tag} AUTHENTICATE XOAUTH2 ${response}`, `${tag} AUTHENTICATE XOAUTH2 ${SECRET_PLACEHOLDER}`);
      } else {
        await exchange.send(`${tag} AUTHENTICATE XOAUTH2`);
        if ((await challenge()) === undefined) return;
        await respond(response, SECRET_PLACEHOLDER);
      }
      // On failure the server sends a `+` with a JSON error; an empty line gets the NO.
      if ((await challenge()) === undefined) return;
      await respond("", "");
      break;
    }
    case "cram-md5": {
      await exchange.send(`${tag} AUTHENTICATE CRAM-MD5`);
      const text = await challenge();
      if (text === undefined) return;
      await respond(cramMd5Response(text, user, secret), SECRET_PLACEHOLDER);
      break;
    }
    case "user":
      throw new Error("`auth user` is POP3 only; the compiler refuses it elsewhere");
  }
  exchange.putBack(await exchange.reply());
}

/** SASL LOGIN through AUTHENTICATE, for servers that offer AUTH=LOGIN but no LOGIN command. */
export async function authenticateSaslLogin(exchange: Exchange, user: string, secret: string): Promise<void> {
  const [userLine, secretLine] = loginResponses(user, secret);
  const tag = exchange.nextTag();
  await exchange.send(`${tag} AUTHENTICATE LOGIN`);
  for (const [line, shown] of [[userLine, userLine], [secretLine, SECRET_PLACEHOLDER]] as const) {
    const reply = await exchange.reply();
    if (reply.status !== "+") return exchange.putBack(reply);
    await exchange.send(line, shown);
  }
  exchange.putBack(await exchange.reply());
}

function command(line: string, session: CommandSession): { wire: string; shown: string; opensLiteral: boolean; untagged?: boolean } {
  // The data of a synchronizing literal the previous line announced is not a command.
  if (session.literalPending) return { wire: line, shown: line, opensLiteral: LITERAL_AT_END.test(line), untagged: true };
  if (session.continuationPending) return { wire: line, shown: line, opensLiteral: false, untagged: true };
  const wire = `A${session.count + 1} ${line}`;
  return { wire, shown: wire, opensLiteral: LITERAL_AT_END.test(line) };
}

/**
 * IMAP `LOGIN user password` (atoms, quoted strings or literals, RFC 9051 §6.2.3) and
 * `AUTHENTICATE MECH [initial-response]` with `+` challenges (§6.2.2). Lines may carry a
 * tag (import, serve) or not (a `send` line before the runner tags it).
 */
export class ImapSpotter implements CredentialSpotter {
  private sasl: SaslExchange | undefined;
  /** LOGIN's arguments read so far, and the size of a literal whose data comes next. */
  private login: { args: string[]; literal?: number } | undefined;

  client(line: string): string[] {
    if (this.login?.literal !== undefined) {
      const size = this.login.literal;
      delete this.login.literal;
      this.login.args.push(line.slice(0, size));
      return [...this.loginSecret(), ...this.loginArgs(line.slice(size))];
    }
    this.login = undefined;
    if (this.sasl) return this.sasl.response(line);
    const command = /^(?:\S+\s+)?(LOGIN|AUTHENTICATE)\s+(.*)$/i.exec(line);
    if (!command) return [];
    if (command[1]!.toUpperCase() === "LOGIN") {
      this.login = { args: [] };
      return this.loginArgs(command[2]!);
    }
    const [mechanism = "", initial] = command[2]!.trim().split(/\s+/);
    const { exchange, secrets } = openSasl(mechanism, initial);
    this.sasl = exchange;
    return secrets;
  }

  private loginSecret(): string[] {
    return this.login && this.login.args.length === 2 ? [this.login.args[1]!] : [];
  }

  private loginArgs(text: string): string[] {
    const login = this.login!;
    let rest = text.trimStart();
    const before = login.args.length;
    while (rest && login.args.length < 2) {
      const literal = /^\{(\d+)\+?\}$/.exec(rest);
      if (literal) {
        login.literal = Number(literal[1]);
        break;
      }
      const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (quoted) {
        login.args.push(quoted[1]!.replace(/\\(.)/g, "$1"));
        rest = rest.slice(quoted[0].length).trimStart();
        continue;
      }
      const atom = /^\S+/.exec(rest)![0];
      login.args.push(atom);
      rest = rest.slice(atom.length).trimStart();
    }
    return before < 2 && login.args.length === 2 ? this.loginSecret() : [];
  }

  server(reply: Reply): void {
    if (this.sasl && reply.status === "+") return this.sasl.challenge(reply.lines[reply.lines.length - 1]!.replace(/^\+ ?/, ""));
    if (reply.status !== "+") {
      this.sasl = undefined;
      if (this.login?.literal === undefined) this.login = undefined;
    }
  }
}

export const imap: Protocol = {
  name: "imap",
  createFramer: (options) => new ImapFramer(options.greeting),
  starttlsCommand: "STARTTLS",
  starttlsReady: (reply) => reply.status === "OK",
  capabilities: imapCapabilities,
  // As the server prints them: `IMAP4rev1 AUTH=PLAIN AUTH=LOGIN`.
  describeCapabilities: (capabilities) => [...capabilities].flatMap(([keyword, params]) => (params.length ? params.map((p) => `${keyword}=${p}`) : [keyword])).join(" "),
  authenticate,
  command,
  createSpotter: () => new ImapSpotter(),
  isRefusal: (reply) => reply.status === "NO" || reply.status === "BAD" || reply.status === undefined,
};
