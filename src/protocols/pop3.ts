// POP3 (RFC 1939) with CAPA and STLS (RFC 2449, RFC 2595) and AUTH (RFC 5034).
// Whether a reply is one line or a dot-terminated list depends on the command that asked
// for it, so the framer is told each command as it is sent.
import { MAX_LIST_LINES, MAX_MESSAGE_REPLY_BYTES, MAX_REPLY_LINE_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import { cramMd5Response, loginResponses, plainResponse, xoauth2Response } from "../sasl/index.js";
import { AuthCommandSpotter, type CredentialSpotter } from "./credentials.js";
import { LineBuffer, joinLines, type Line } from "./line-buffer.js";
import { FramingError, PlainSession, bracketedCodes, describeCapabilityList, type Capabilities, type Credentials, type Exchange, type Protocol, type Reply, type ReplyFramer } from "./types.js";

/** RFC 1939 §3 and RFC 2449: the commands whose +OK reply is followed by a dot-terminated list. */
export function isMultiLineCommand(line: string): boolean {
  const [verb = "", ...args] = line.trim().split(/\s+/);
  switch (verb.toUpperCase()) {
    case "CAPA":
    case "RETR":
    case "TOP":
      return true;
    case "LIST":
    case "UIDL":
      return args.length === 0;
    default:
      return false;
  }
}

export class Pop3Framer implements ReplyFramer {
  private readonly input = new LineBuffer();
  /** For each command awaiting its reply: whether a +OK opens a list. */
  private readonly expecting: boolean[];
  private list: string[] | undefined;
  private raw: Buffer[] = [];
  private bytes = 0;

  constructor(greeting: boolean) {
    this.expecting = greeting ? [false] : [];
  }

  sent(line: string): void {
    this.expecting.push(isMultiLineCommand(line));
  }

  push(chunk: Buffer): Reply[] {
    this.input.push(chunk);
    const replies: Reply[] = [];
    let next: Line | undefined;
    while ((next = this.input.next())) {
      // The limit counts the line without its CRLF; inside a RETR/TOP list a line is a message
      // line, and long HTML lines are normal there.
      if (next.raw.length > MAX_REPLY_LINE_BYTES && !this.list) throw new FramingError(`the server sent a reply line of ${next.raw.length} bytes (limit ${MAX_REPLY_LINE_BYTES})`, next.raw.subarray(0, 120));
      const line = next.text;
      this.bytes += next.bytes;
      if (this.list) {
        if (line === ".") {
          replies.push(this.finish("+OK"));
          continue;
        }
        // RFC 1939 §3: a line of the list that starts with "." was dot-stuffed.
        const stuffed = line.startsWith(".");
        this.list.push(stuffed ? line.slice(1) : line);
        this.raw.push(stuffed ? next.raw.subarray(1) : next.raw);
        if (this.bytes > MAX_MESSAGE_REPLY_BYTES) throw new FramingError(`the server sent a list of more than ${MAX_MESSAGE_REPLY_BYTES} bytes without its final "."`, joinLines(this.raw.slice(0, 3)));
        if (this.list.length > MAX_LIST_LINES) throw new FramingError(`the server sent a list of more than ${MAX_LIST_LINES} lines without its final "."`, joinLines(this.raw.slice(0, 3)));
        continue;
      }
      const multi = this.expecting.shift() ?? false;
      const status = line.startsWith("+OK") ? "+OK" : line.startsWith("-ERR") ? "-ERR" : line.startsWith("+") ? "+" : undefined;
      this.raw = [next.raw];
      if (status === "+OK" && multi) {
        this.list = [line];
        continue;
      }
      // A continuation during AUTH is answered by one more client line.
      this.list = [line];
      replies.push(this.finish(status));
    }
    const limit = this.list ? MAX_MESSAGE_REPLY_BYTES - this.bytes : MAX_REPLY_LINE_BYTES;
    if (this.input.waitingLine > limit) throw new FramingError(`the server sent ${this.input.waitingLine} bytes without a line end (limit ${limit})`, this.input.preview());
    return replies;
  }

  private finish(status: string | undefined): Reply {
    const reply: Reply = { lines: this.list ?? [], raw: this.raw, bytes: this.bytes };
    if (status) reply.status = status;
    this.list = undefined;
    this.raw = [];
    this.bytes = 0;
    return reply;
  }

  pending(): Buffer {
    const rest = this.input.bytes();
    return joinLines(rest.length > 0 ? [...this.raw, rest] : this.raw);
  }

  discard(): number {
    const dropped = this.bytes + this.input.clear();
    this.list = undefined;
    this.raw = [];
    this.bytes = 0;
    this.expecting.length = 0;
    return dropped;
  }
}

/** CAPA (RFC 2449 §5): one capability a line; `SASL PLAIN LOGIN` lists the mechanisms. */
export function capaCapabilities(reply: Reply): Capabilities | undefined {
  if (reply.status !== "+OK" || reply.lines.length < 2) return undefined;
  const capabilities: Capabilities = new Map();
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/\s+/);
    if (!keyword) continue;
    capabilities.set(keyword.toUpperCase(), params.map((p) => p.toUpperCase()));
  }
  // Scripts written for SMTP say `capability AUTH PLAIN`; POP3 calls it SASL.
  const sasl = capabilities.get("SASL");
  if (sasl && !capabilities.has("AUTH")) capabilities.set("AUTH", sasl);
  return capabilities;
}

/** AUTH with a continuation: sends the response to each `+ challenge` until the final reply. */
async function saslExchange(exchange: Exchange, command: string, shownCommand: string, responses: Array<(challenge: string) => { line: string; shown: string }>): Promise<void> {
  await exchange.send(command, shownCommand);
  for (const respond of responses) {
    const reply = await exchange.reply();
    if (reply.status !== "+") return exchange.putBack(reply);
    const challenge = reply.lines[0]!.replace(/^\+ ?/, "");
    const { line, shown } = respond(challenge);
    await exchange.send(line, shown);
  }
  exchange.putBack(await exchange.reply());
}

async function authenticate(exchange: Exchange, { mechanism, user, secret }: Credentials): Promise<void> {
  switch (mechanism) {
    case "user": {
      await exchange.send(`USER ${user}`);
      const reply = await exchange.reply();
      if (reply.status !== "+OK") return exchange.putBack(reply);
      await exchange.send(`PASS ${secret}`, `PASS ${SECRET_PLACEHOLDER}`);
      return exchange.putBack(await exchange.reply());
    }
    case "plain":
      // RFC 5034 §4: the initial response may go with the command.
      return saslExchange(exchange, `AUTH PLAIN ${plainResponse(user, secret)}`, `AUTH PLAIN ${SECRET_PLACEHOLDER}`, []);
    case "login": {
      const [userLine, secretLine] = loginResponses(user, secret);
      return saslExchange(exchange, "AUTH LOGIN", "AUTH LOGIN", [() => ({ line: userLine, shown: userLine }), () => ({ line: secretLine, shown: SECRET_PLACEHOLDER })]);
    }
    case "cram-md5":
      return saslExchange(exchange, "AUTH CRAM-MD5", "AUTH CRAM-MD5", [(challenge) => ({ line: cramMd5Response(challenge, user, secret), shown: SECRET_PLACEHOLDER })]);
    case "xoauth2":
      return saslExchange(exchange, `AUTH XOAUTH2 ${xoauth2Response(user, secret)}`, `AUTH XOAUTH2 ${SECRET_PLACEHOLDER}`, [() => ({ line: "", shown: "" })]);
  }
}

/** RFC 1939 `PASS` and `APOP`, RFC 5034 `AUTH MECH [initial-response]` with `+` challenges. */
export function pop3Spotter(): CredentialSpotter {
  return new AuthCommandSpotter(
    (reply) => reply.status === "+",
    (reply) => reply.lines[0]!.replace(/^\+ ?/, ""),
    (line) => {
      const pass = /^PASS (.+)$/i.exec(line);
      if (pass) return [pass[1]!];
      const apop = /^APOP\s+\S+\s+([0-9a-f]{32})\s*$/i.exec(line);
      return apop ? [apop[1]!] : [];
    },
  );
}

export const pop3 = {
  name: "pop3",
  title: "POP3",
  // RFC 1939, with CAPA and STLS (RFC 2449, 2595) and AUTH (RFC 5034).
  commands: ["USER", "PASS", "APOP", "AUTH", "CAPA", "STLS", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL", "QUIT"],
  schemes: [
    { scheme: "pop3", defaultPort: 110, implicitTls: false, source: "RFC 1939" },
    { scheme: "pop3s", defaultPort: 995, implicitTls: true, source: "RFC 8314" },
  ],
  matchers: { kinds: ["pop-status", "continuation", "response-code"], replies: "replies are +OK or -ERR, with [CODES] (RFC 2449), and + during AUTH" },
  mechanisms: ["user", "plain", "login", "cram-md5", "xoauth2"],
  createFramer: (options: { greeting: boolean }) => new Pop3Framer(options.greeting),
  starttlsCommand: "STLS",
  starttlsReady: (reply: Reply) => reply.status === "+OK",
  capabilities: capaCapabilities,
  describeCapabilities: describeCapabilityList,
  authenticate,
  createSession: () => new PlainSession(),
  // RFC 2449 §6.6: commands may be sent in groups once CAPA lists PIPELINING.
  pipelining: { capability: "PIPELINING", lastOnly: ["STLS", "AUTH", "QUIT"] },
  responseCodes: bracketedCodes,
  createSpotter: pop3Spotter,
  isRefusal: (reply: Reply) => reply.status !== "+OK" && reply.status !== "+",
} as const satisfies Protocol;
