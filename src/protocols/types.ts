// What a protocol module provides to the runtime. One file per protocol implements it;
// adding a protocol touches that file and the table in protocols/index.ts.
import type { ProtocolName, SaslMechanism } from "../compile/steps.js";
import type { CredentialSpotter } from "../secrets/spotting.js";

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

/** Per-connection state a protocol may keep for its commands (IMAP tags). */
export interface CommandSession {
  /** Commands sent so far on this connection, this one not counted. */
  count: number;
  /** IMAP: the previous line announced a synchronizing literal, so this line is its data. */
  literalPending: boolean;
  /** The last reply taken was a `+` continuation request (IMAP AUTHENTICATE, RFC 9051
   *  §7.5): the next line answers it and carries no tag. */
  continuationPending?: boolean;
}

export interface Credentials {
  mechanism: SaslMechanism;
  user: string;
  secret: string;
}

export interface Protocol {
  name: ProtocolName;
  /** `greeting`: whether the server speaks first (a new connection, not after STARTTLS). */
  createFramer(options: { greeting: boolean }): ReplyFramer;
  /** The upgrade command, sent by `starttls`. */
  starttlsCommand: string;
  /** Whether a reply to the upgrade command allows the handshake to begin. */
  starttlsReady(reply: Reply): boolean;
  /** The reply read as a capability list, or undefined when it is not one. */
  capabilities(reply: Reply): Capabilities | undefined;
  /** A capability list written as this protocol writes it, for failure messages. */
  describeCapabilities(capabilities: Capabilities): string;
  /** Runs a SASL exchange up to (not including) its final reply, which is put back. */
  authenticate(exchange: Exchange, credentials: Credentials): Promise<void>;
  /** The wire form of a `send` line (IMAP adds a tag); defaults to the line itself. */
  command?(line: string, session: CommandSession): { wire: string; shown: string; opensLiteral?: boolean; untagged?: boolean };
  /** A per-connection reader that recognises credentials in client lines by their place. */
  createSpotter(): CredentialSpotter;
  /** Whether a reply refuses the command it answers (4xx/5xx, -ERR, NO/BAD): a `send` that
   *  no `expect` follows fails on such a reply. */
  isRefusal(reply: Reply): boolean;
  /** Sends the message-body framing command and checks its go-ahead (SMTP DATA/354). */
  dataCommand?: { command: string; ready(reply: Reply): boolean; expected: string };
}

/** EHLO/CAPA style: `AUTH PLAIN LOGIN, STARTTLS`. */
export function describeCapabilityList(capabilities: Capabilities): string {
  return [...capabilities].map(([keyword, params]) => [keyword, ...params].join(" ")).join(", ");
}
