// IMAP reply framing (RFC 9051 §2.2.2): a reply is the untagged lines plus the tagged
// completion of a command in flight, or a `+` continuation request; literals are read by
// byte count (literal-framer.ts).
import { LiteralLineFramer } from "../literal-framer.js";

/** An IMAP line (without literals) may be long — SEARCH results, CAPABILITY — but not endless. */
export const MAX_IMAP_LINE_BYTES = 1_048_576;

export class ImapFramer extends LiteralLineFramer {
  /** Tags of commands sent and not yet completed: only their tagged lines end a reply. */
  private readonly tags = new Set<string>();
  private tagsSeen = false;

  constructor(private greeting: boolean) {
    super(MAX_IMAP_LINE_BYTES, "completing the command (no tagged reply)");
  }

  override sent(line: string): void {
    const tag = /^([^\s*+(){%"\\\]]+) /.exec(line)?.[1];
    if (tag) {
      this.tags.add(tag.toUpperCase());
      this.tagsSeen = true;
    }
  }

  /** The reply ends at the tagged line of a command sent, a `+` continuation, or (first of
   *  all) the greeting. A tagged line with another tag is data, not the command's answer. */
  protected completes(line: string): { status: string | undefined; tag?: string } | undefined {
    if (line.startsWith("+")) return { status: "+" };
    if (line.startsWith("*")) {
      if (!this.greeting) return undefined;
      this.greeting = false;
      return { status: /^\* (OK|PREAUTH|BYE)\b/i.exec(line)?.[1]?.toUpperCase() };
    }
    const tagged = /^(\S+) (OK|NO|BAD)\b/i.exec(line);
    if (tagged && this.tagsSeen && !this.tags.delete(tagged[1]!.toUpperCase())) return undefined;
    return tagged ? { status: tagged[2]!.toUpperCase(), tag: tagged[1]! } : { status: undefined };
  }
}
