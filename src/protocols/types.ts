// What a protocol module provides: one descriptor per protocol, in its own file, listed once
// in protocols/index.ts. The compiler and the runtime ask the descriptor — which schemes and
// ports, which matchers, whether it has `data`, how it frames replies, tags commands and
// authenticates — and never name a protocol themselves.

/** SASL mechanisms of `auth` (`user` is POP3's USER/PASS pair, RFC 1939). */
export type SaslMechanism = "plain" | "login" | "cram-md5" | "xoauth2" | "user";

/** Reply matchers that belong to some protocols only; `"text"`, `capability` and `any`
 *  apply to every protocol. */
export type ProtocolMatcherKind = "code" | "enhanced" | "pop-status" | "status" | "continuation" | "response-code" | "untagged";

/** One complete server reply, as framed by its protocol. */
export interface Reply {
  /** The lines as received, CR/LF removed; literals (IMAP) are kept inside their line. */
  lines: string[];
  /** SMTP/LMTP: the code of the final line ("250"); POP3: "+OK"/"-ERR"; IMAP: "OK"/"NO"/"BAD"/"+". */
  status?: string;
  /** SMTP/LMTP: the RFC 3463 enhanced status code of the final line, when present. */
  enhanced?: string;
  /** IMAP: the tag of the tagged completion. */
  tag?: string;
  /** Each line's exact bytes without its line end (IMAP literals inside, with their CRLFs):
   *  what transcripts show (escaped) and golden files keep. */
  raw: Buffer[];
  /** Size on the wire, for limits and the report. */
  bytes: number;
  /** It arrived while no command was waiting for a reply (before its command was sent). */
  unsolicited?: boolean;
  /** SMTP: the codes of a multi-line reply differ (RFC 5321 §4.2.1 forbids it): "250 then 550". */
  inconsistent?: string;
  /** When its last byte arrived (performance.now()), for response times. */
  receivedAt?: number;
}

export class FramingError extends Error {
  constructor(
    message: string,
    /** The start of what was received (exact bytes), for the report. */
    readonly received: Buffer,
  ) {
    super(message);
  }
}

/** Splits the byte stream into replies. `push` throws FramingError when a limit is crossed. */
export interface ReplyFramer {
  push(chunk: Buffer): Reply[];
  /** Told each command line as it is sent, for protocols whose framing depends on it (POP3). */
  sent?(line: string): void;
  /** Bytes received that do not make a complete reply yet (a reply cut by a close). */
  pending(): Buffer;
  /** Forget everything buffered (before a TLS upgrade); returns how many bytes were dropped. */
  discard(): number;
}

/** A capability list (EHLO keywords, POP3 CAPA, IMAP CAPABILITY), by upper-case keyword. */
export type Capabilities = Map<string, string[]>;

/** What an auth exchange or a command needs from the session it runs in. */
export interface Exchange {
  /** Sends one line (CRLF added); `shown` is what the transcript may print. */
  send(line: string, shown?: string): Promise<void>;
  /** The next IMAP tag, for protocols that tag commands. */
  nextTag(): string;
  /** Waits for the next reply (within the step's time). */
  reply(): Promise<Reply>;
  /** Leaves a reply for the script's next `expect`. */
  putBack(reply: Reply): void;
  note(message: string): void;
  /** Capabilities last seen on this connection (cleared by STARTTLS). */
  capabilities(): Capabilities | undefined;
}

export interface Credentials {
  mechanism: SaslMechanism;
  user: string;
  secret: string;
}

/** Reads credentials in client lines by their place in the protocol (secrets/spotting.ts). */
export interface CredentialSpotter {
  /** A line the client sends (without its line end): the secret values it carries. */
  client(line: string): string[];
  /** A reply from the server, which may open, continue or end an exchange. */
  server(reply: Reply): void;
}

/** A `send` line as it goes on the wire. */
export interface Command {
  wire: string;
  /** What the transcript shows (the tag included). */
  shown: string;
  /** Replies the server owes for this line: 0 for an IMAP line announcing a LITERAL+
   *  literal, whose command is answered after the literal's data. */
  replies: number;
  /** The line announces a synchronizing literal: the server's `+` comes before its data. */
  awaitsGoAhead?: boolean;
  /** The line continues a command already begun (a literal's data, the text after a
   *  literal, the answer to a `+`): it starts no command and carries no tag. */
  continues?: boolean;
}

/** What a protocol keeps per connection: tags, literals, continuations, LMTP recipients. */
export interface ProtocolSession {
  /** A script's `send` line on the wire (IMAP adds the tag). */
  command(line: string, capabilities: Capabilities | undefined): Command;
  /** The script took this reply; a note for the transcript may come back (LMTP names the
   *  recipient a reply is for). */
  taken(reply: Reply): string | undefined;
  /** `send raw` bytes went out: a literal they finish closes its command. */
  raw(bytes: Buffer): void;
  /** The tag of the next command an `auth` exchange sends (IMAP). */
  nextTag(): string;
  /** The tag of the command sent last (IMAP), for `${tag}`. */
  lastTag?: string;
  /** Replies the end of a message body owes: one, or one per accepted recipient (LMTP). */
  endOfData(): number;
}

export interface Scheme {
  scheme: string;
  defaultPort: number;
  /** TLS from the first byte (RFC 8314) rather than by STARTTLS. */
  implicitTls: boolean;
  /** Where the port comes from. */
  source: string;
}

export interface Protocol {
  name: string;
  /** As people write it: "SMTP", "ManageSieve". */
  title: string;
  schemes: readonly Scheme[];
  /** The protocol-specific matchers its replies are judged by, and how its replies read
   *  (for the error when a script uses another's). */
  matchers: { kinds: readonly ProtocolMatcherKind[]; replies: string };
  /** Its command verbs (RFCs and common extensions), for `mailchat shell`'s completion. */
  commands: readonly string[];
  /** `auth` mechanisms it speaks. */
  mechanisms: readonly SaslMechanism[];
  /** The server speaks again after a STARTTLS handshake (ManageSieve sends its capabilities,
   *  RFC 5804 §2.2); in SMTP, POP3 and IMAP the client speaks first. */
  greetsAfterTls?: boolean;
  /** `greeting`: whether the server speaks first (a new connection, not after STARTTLS). */
  createFramer(options: { greeting: boolean }): ReplyFramer;
  /** The upgrade command, sent by `starttls`. */
  starttlsCommand: string;
  /** Whether a reply to the upgrade command allows the handshake to begin. */
  starttlsReady(reply: Reply): boolean;
  /** The reply read as a capability list, or undefined when it is not one. `asked`: false
   *  when no command asked for one, and only a list that names something counts (a protocol
   *  may then skip what cannot name any). */
  capabilities(reply: Reply, asked?: boolean): Capabilities | undefined;
  /** A capability list written as this protocol writes it, for failure messages. */
  describeCapabilities(capabilities: Capabilities): string;
  /** Runs a SASL exchange up to (not including) its final reply, which is put back. */
  authenticate(exchange: Exchange, credentials: Credentials): Promise<void>;
  /** Per-connection command state. */
  createSession(): ProtocolSession;
  /** The marker announcing a literal of `size` bytes (IMAP `{n}`, ManageSieve `{n+}`), for
   *  sized literals (`send APPEND INBOX {file "msg.eml"}`); absent where there are none. */
  literal?(size: number): string;
  /** The response codes a reply carries (IMAP/POP3 `[CODE]`, ManageSieve `(CODE)`). */
  responseCodes?(reply: Reply): string[];
  /** A per-connection reader that recognises credentials in client lines by their place. */
  createSpotter(): CredentialSpotter;
  /** Whether a reply refuses the command it answers (4xx/5xx, -ERR, NO/BAD): a `send` that
   *  no `expect` follows fails on such a reply. */
  isRefusal(reply: Reply): boolean;
  /** Sends the message-body framing command and checks its go-ahead (SMTP DATA/354). */
  dataCommand?: { command: string; ready(reply: Reply): boolean; expected: string };
  /** Commands sent in one write (`pipeline`): the capability the server must have offered,
   *  and the commands that may only end a group because they change the session's state
   *  (RFC 2920 §3.1). Absent where the protocol has no pipelining. */
  pipelining?: { capability?: string; lastOnly: readonly string[] };
  /** BDAT (RFC 3030): the message in sized chunks, offered as CHUNKING. */
  chunking?: boolean;
}

/** A session for protocols whose lines go out as typed, one reply each (SMTP, POP3). */
export class PlainSession implements ProtocolSession {
  command(line: string): Command {
    return { wire: line, shown: line, replies: 1 };
  }
  taken(): undefined {
    return undefined;
  }
  raw(_bytes?: Buffer): void {}
  nextTag(): string {
    return "";
  }
  endOfData(): number {
    return 1;
  }
}

/** EHLO/CAPA style: `AUTH PLAIN LOGIN, STARTTLS`. */
export function describeCapabilityList(capabilities: Capabilities): string {
  return [...capabilities].map(([keyword, params]) => [keyword, ...params].join(" ")).join(", ");
}

/** IMAP (RFC 5530) and POP3 (RFC 2449) response codes: `[CODE …]` in any line of a reply. */
export function bracketedCodes(reply: Reply): string[] {
  return reply.lines.flatMap((line) => [...line.matchAll(/\[([A-Za-z][A-Za-z0-9./-]*)/g)].map((m) => m[1]!.toUpperCase()));
}
