// IMAP (RFC 9051, with RFC 3501 servers in mind): the runner tags each command (A1, A2, …);
// a reply is the untagged lines plus the tagged completion, or a `+` continuation request.
// Literals `{n}` are read by byte count, so message text that looks like a completion
// (a line "A1 OK" inside a FETCH BODY[]) cannot end a reply early.
import { MAX_LITERAL_BYTES, MAX_MESSAGE_REPLY_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import { cramMd5Response, loginResponses, plainResponse, xoauth2Response } from "../sasl/index.js";
import { LineBuffer } from "./line-buffer.js";
import { FramingError, type Capabilities, type CommandSession, type Credentials, type Exchange, type Protocol, type Reply, type ReplyFramer } from "./types.js";

/** An IMAP line (without literals) may be long — SEARCH results, CAPABILITY — but not endless. */
export const MAX_IMAP_LINE_BYTES = 1_048_576;

const LITERAL_AT_END = /\{(\d+)\}$/;

export class ImapFramer implements ReplyFramer {
  private readonly input = new LineBuffer();
  private lines: string[] = [];
  /** The line being assembled, across literals. */
  private current = "";
  private literalLeft = 0;
  private bytes = 0;
  private greeting: boolean;

  constructor(greeting: boolean) {
    this.greeting = greeting;
  }

  push(chunk: Buffer): Reply[] {
    this.input.push(chunk);
    const replies: Reply[] = [];
    for (;;) {
      if (this.literalLeft > 0) {
        if (this.input.waiting === 0) break;
        const taken = this.input.take(this.literalLeft);
        this.current += taken.toString("utf8");
        this.literalLeft -= taken.length;
        this.bytes += taken.length;
        this.checkTotal();
        continue;
      }
      const next = this.input.next();
      if (!next) break;
      const text = next.text;
      this.bytes += next.bytes;
      this.checkTotal();
      this.current += text;
      const literal = LITERAL_AT_END.exec(text);
      if (literal) {
        const size = Number(literal[1]);
        if (size > MAX_LITERAL_BYTES) throw new FramingError(`the server announced a literal of ${size} bytes (limit ${MAX_LITERAL_BYTES})`, this.current.slice(0, 120));
        this.current += "\n";
        this.literalLeft = size;
        continue;
      }
      const line = this.current;
      this.current = "";
      this.lines.push(line);
      const reply = this.completes(line);
      if (reply) replies.push(reply);
    }
    if (this.literalLeft === 0 && this.input.waiting > MAX_IMAP_LINE_BYTES) {
      throw new FramingError(`the server sent a line longer than ${MAX_IMAP_LINE_BYTES} bytes without a line end`, this.input.preview());
    }
    return replies;
  }

  private checkTotal(): void {
    if (this.bytes > MAX_MESSAGE_REPLY_BYTES) {
      throw new FramingError(`the server sent more than ${MAX_MESSAGE_REPLY_BYTES} bytes without completing the command (no tagged reply)`, this.lines.slice(0, 3).join("\n"));
    }
  }

  /** The reply ends at a tagged line, a `+` continuation, or (first of all) the greeting. */
  private completes(line: string): Reply | undefined {
    if (line.startsWith("+")) return this.finish("+");
    if (line.startsWith("*")) {
      if (!this.greeting) return undefined;
      this.greeting = false;
      const status = /^\* (OK|PREAUTH|BYE)\b/i.exec(line)?.[1]?.toUpperCase();
      return this.finish(status);
    }
    const tagged = /^(\S+) (OK|NO|BAD)\b/i.exec(line);
    const reply = this.finish(tagged?.[2]?.toUpperCase());
    if (tagged) reply.tag = tagged[1]!;
    return reply;
  }

  private finish(status: string | undefined): Reply {
    const reply: Reply = { lines: this.lines, bytes: this.bytes };
    if (status) reply.status = status;
    this.lines = [];
    this.bytes = 0;
    return reply;
  }

  pending(): string {
    return [...this.lines, this.current, this.input.text()].filter(Boolean).join("\n");
  }

  discard(): number {
    const dropped = this.bytes + this.input.clear();
    this.lines = [];
    this.current = "";
    this.literalLeft = 0;
    this.bytes = 0;
    return dropped;
  }
}

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
  const wire = `A${session.count + 1} ${line}`;
  return { wire, shown: wire, opensLiteral: LITERAL_AT_END.test(line) };
}

export const imap: Protocol = {
  name: "imap",
  createFramer: (options) => new ImapFramer(options.greeting),
  starttlsCommand: "STARTTLS",
  starttlsReady: (reply) => reply.status === "OK",
  capabilities: imapCapabilities,
  authenticate,
  command,
};
