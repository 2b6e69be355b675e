// What `mailchat explain` read in a text someone holds: which recipient, which remote host,
// the reply that decided the refusal, and the other codes the text holds as context.

/** One reply found in the text, and where it was found ("Diagnostic-Code", "Status",
 *  "the callout's response"). */
export interface FoundReply {
  lines: string[];
  from: string;
}

export interface Reading {
  /** What the text was read as: "an RFC 3464 delivery status notification", "a Postfix log
   *  line". */
  format: string;
  protocol: "smtp" | "pop3" | "imap";
  recipient?: string;
  /** The host that gave the reply (a DSN's Remote-MTA, a log's relay), or for a server's own
   *  refusal the client it refused (`client` true). */
  remoteHost?: string;
  client?: boolean;
  /** A DSN's Action or a log line's status: failed, delayed, bounced, deferred, sent. */
  action?: string;
  /** The reply (or the MTA's own words) that decided the refusal. */
  deciding?: FoundReply;
  /** The other codes the text holds: a DSN's Status, a callout's nested reply. */
  context: FoundReply[];
}
