// LMTP (RFC 2033): SMTP's framing, capabilities and SASL, but after the end of data one reply
// per accepted recipient, in the order of the RCPT TO commands (§4.2). The session keeps the
// recipients so each of those replies is named after its recipient in the report.
import { smtpFamily } from "./smtp.js";
import type { Command, Protocol, ProtocolSession, Reply } from "./types.js";

export class LmtpSession implements ProtocolSession {
  /** RCPTs awaiting their reply; the accepted ones; those the data's replies are for. */
  private rcpts: string[] = [];
  private accepted: string[] = [];
  private afterData: string[] = [];

  command(line: string): Command {
    const rcpt = /^RCPT TO:\s*<([^>]*)>/i.exec(line);
    if (rcpt) this.rcpts.push(rcpt[1]!);
    if (/^(MAIL FROM|RSET)\b/i.test(line)) [this.rcpts, this.accepted, this.afterData] = [[], [], []];
    return { wire: line, shown: line, replies: 1 };
  }

  taken(reply: Reply): string | undefined {
    const forData = this.afterData.shift();
    if (forData !== undefined) return `LMTP: this reply is for <${forData}>`;
    const rcpt = this.rcpts.shift();
    if (rcpt !== undefined && reply.status?.startsWith("2")) this.accepted.push(rcpt);
    return undefined;
  }

  raw(): void {}

  nextTag(): string {
    return "";
  }

  endOfData(): number {
    this.afterData = this.accepted;
    this.accepted = [];
    return Math.max(1, this.afterData.length);
  }
}

export const lmtp = {
  ...smtpFamily,
  // RFC 2033 §4.1: LHLO instead of EHLO and HELO.
  commands: ["LHLO", "MAIL FROM:", "RCPT TO:", "DATA", "BDAT", "RSET", "VRFY", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH"],
  name: "lmtp",
  title: "LMTP",
  schemes: [{ scheme: "lmtp", defaultPort: 24, implicitTls: false, source: "RFC 2033" }],
  createSession: () => new LmtpSession(),
} as const satisfies Protocol;
