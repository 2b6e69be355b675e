// IMAP (RFC 9051, with RFC 3501 servers in mind): the session tags each command (A1, A2, …),
// waits for the `+` go-ahead of a synchronizing literal (or sends LITERAL+ when offered), and
// leaves the line that answers a `+` continuation untagged.
import { SECRET_PLACEHOLDER } from "../../limits.js";
import { cramMd5Response, loginResponses, plainResponse, xoauth2Response } from "../../sasl/index.js";
import { bracketedCodes, type Capabilities, type Command, type Credentials, type Exchange, type Protocol, type ProtocolSession, type Reply } from "../types.js";
import { ImapSpotter } from "./credentials.js";
import { CommandFraming } from "../command-framing.js";
import { ImapFramer } from "./framer.js";

export { ImapFramer, MAX_IMAP_LINE_BYTES } from "./framer.js";
export { ImapSpotter } from "./credentials.js";

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
  /** A mechanism whose first message is the credentials: with the command when the server
   *  offers SASL-IR (RFC 4959), after its empty `+` otherwise. False when it refused. */
  const initialResponse = async (name: string, response: string): Promise<boolean> => {
    if (saslIr) {
      await exchange.send(`${tag} AUTHENTICATE ${name} ${response}`, `${tag} AUTHENTICATE ${name} ${SECRET_PLACEHOLDER}`);
      return true;
    }
    await exchange.send(`${tag} AUTHENTICATE ${name}`);
    if ((await challenge()) === undefined) return false;
    await respond(response, SECRET_PLACEHOLDER);
    return true;
  };
  switch (mechanism) {
    case "plain":
      if (!(await initialResponse("PLAIN", plainResponse(user, secret)))) return;
      break;
    case "xoauth2": {
      if (!(await initialResponse("XOAUTH2", xoauth2Response(user, secret)))) return;
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

/**
 * Commands of RFC 9051 and the extensions servers announce (RFC 2177 IDLE, 2971 ID, 4314
 * ACL, 4978 COMPRESS, 5256 SORT/THREAD, 5464 METADATA, 5465 NOTIFY, 6851 MOVE, 8437
 * UNAUTHENTICATE, 8508 REPLACE, 9208 QUOTA, …): a line whose first word is none of them and
 * whose second word is one carries its own tag, as every knowledge-base article types it
 * (`a1 LOGIN user pass`, `. SELECT INBOX`).
 */
const IMAP_COMMANDS = new Set(
  "APPEND AUTHENTICATE CAPABILITY CHECK CLOSE COMPRESS COPY CREATE DELETE DELETEACL ENABLE ESEARCH EXAMINE EXPUNGE FETCH GETACL GETMETADATA GETQUOTA GETQUOTAROOT ID IDLE LIST LISTRIGHTS LOGIN LOGOUT LSUB MOVE MYRIGHTS NAMESPACE NOOP NOTIFY RENAME REPLACE SEARCH SELECT SETACL SETMETADATA SETQUOTA SORT STARTTLS STATUS STORE SUBSCRIBE THREAD UID UNAUTHENTICATE UNSELECT UNSUBSCRIBE URLFETCH GENURLAUTH RESETKEY CONVERSIONS CONVERT".split(" "),
);

/** RFC 9051 §9 `x-command`: an experimental command is "X" and an atom (XLIST, XAPPLEPUSHSERVICE). */
function isCommandName(word: string): boolean {
  return IMAP_COMMANDS.has(word.toUpperCase()) || /^X[A-Za-z][A-Za-z-]+$/.test(word);
}

/** RFC 9051 §9: a tag is astring characters other than `+`. */
const TAG = /^[^\s(){%*"\\\]+\x00-\x1f\x7f]+$/;

/** The tag the user typed at the start of a line (`a1 LOGIN …`), if it carries one. */
export function typedTag(line: string): string | undefined {
  const [first, second] = line.split(" ", 2);
  if (first === undefined || second === undefined || !TAG.test(first) || isCommandName(first)) return undefined;
  return isCommandName(second) ? first : undefined;
}

export class ImapSession implements ProtocolSession {
  private count = 0;
  /** Tags typed by the user, so that mailchat's own never repeat one. */
  private readonly typed = new Set<string>();
  /** Where the client stands in its command stream: literals are counted by their bytes. */
  private readonly framing = new CommandFraming();
  /** The last reply taken was a `+` continuation (AUTHENTICATE, RFC 9051 §7.5): the next
   *  line answers it. */
  private continuationPending = false;

  lastTag: string | undefined;

  command(line: string, capabilities: Capabilities | undefined): Command {
    const answersContinuation = this.continuationPending && !this.framing.continuing;
    this.continuationPending = false;
    let wire = line;
    if (!this.framing.continuing && !answersContinuation) {
      const typed = typedTag(line);
      if (typed) this.typed.add(typed.toUpperCase());
      this.lastTag = typed ?? this.nextTag();
      if (!typed) wire = `${this.lastTag} ${line}`;
    }
    // RFC 7888: with LITERAL+ the client need not wait for the go-ahead.
    if (capabilities?.has("LITERAL+")) wire = wire.replace(/\{(\d+)\}$/, "{$1+}");
    const outcome = this.framing.line(wire);
    const untagged = outcome.continued || answersContinuation;
    const command: Command = { wire, shown: wire, replies: outcome.ends ? 1 : 0 };
    if (untagged) command.continues = true;
    if (outcome.announced?.synchronizing) {
      command.replies = 1;
      command.awaitsGoAhead = true;
    }
    return command;
  }

  taken(reply: Reply): undefined {
    // A literal's go-ahead lets its bytes follow; any other `+` asks for an answer line.
    this.continuationPending = reply.status === "+" && !this.framing.inLiteral;
    // A literal the server refused (NO/BAD instead of `+`) is not sent.
    if (reply.status !== "+" && this.framing.inLiteral) this.framing.refused();
    return undefined;
  }

  raw(bytes: Buffer): void {
    this.continuationPending = false;
    this.framing.bytes(bytes);
  }

  nextTag(): string {
    do this.lastTag = `A${++this.count}`;
    while (this.typed.has(this.lastTag));
    return this.lastTag;
  }

  endOfData(): number {
    return 1;
  }
}

export const imap = {
  name: "imap",
  title: "IMAP",
  commands: [...IMAP_COMMANDS],
  schemes: [
    { scheme: "imap", defaultPort: 143, implicitTls: false, source: "RFC 9051" },
    { scheme: "imaps", defaultPort: 993, implicitTls: true, source: "RFC 8314" },
  ],
  matchers: { kinds: ["status", "continuation", "response-code", "untagged"], replies: "replies end in a tagged OK, NO or BAD, with [CODES] (RFC 5530), or are a + continuation" },
  mechanisms: ["login", "plain", "cram-md5", "xoauth2"],
  createFramer: (options: { greeting: boolean }) => new ImapFramer(options.greeting),
  starttlsCommand: "STARTTLS",
  starttlsReady: (reply: Reply) => reply.status === "OK",
  capabilities: imapCapabilities,
  // As the server prints them: `IMAP4rev1 AUTH=PLAIN AUTH=LOGIN`.
  describeCapabilities: (capabilities: Capabilities) => [...capabilities].flatMap(([keyword, params]) => (params.length ? params.map((p) => `${keyword}=${p}`) : [keyword])).join(" "),
  authenticate,
  createSession: () => new ImapSession(),
  // RFC 9051 §5.5: a client may send several tagged commands without waiting; commands that
  // change the connection itself must wait for their completion.
  pipelining: { lastOnly: ["STARTTLS", "AUTHENTICATE", "LOGOUT", "IDLE", "COMPRESS"] },
  responseCodes: bracketedCodes,
  // Synchronizing; the session sends `{n+}` instead when the server offers LITERAL+.
  literal: (size: number) => `{${size}}`,
  createSpotter: () => new ImapSpotter(),
  isRefusal: (reply: Reply) => reply.status === "NO" || reply.status === "BAD" || reply.status === undefined,
} as const satisfies Protocol;
