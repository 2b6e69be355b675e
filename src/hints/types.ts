// The shape of a hint row and of what a row is matched against.

/** How a step failed, when it is not only "the reply did not match". */
export type Situation = "framing" | "no-greeting" | "nothing-owed" | "unsolicited" | "unsolicited-close" | "closed-early" | "refused-unexpected" | "starttls-refused";

export interface HintContext {
  protocol: string;
  situation?: Situation;
  /** The reply that failed the expectation: its lines as received, CRLF removed. */
  reply?: string[];
  /** What the script expected, as written: "capability STARTTLS", "235", "\"queued\"". */
  expected: string;
  /** The last line the client sent, redacted, if any. */
  lastSent?: string;
  /** The kind of step: "expect", "starttls", "auth", "data", "connect". */
  step: string;
  /** True when the failure was a timeout waiting for a reply. */
  timedOut?: boolean;
  /** True when the connection is TLS-protected at that point. */
  encrypted?: boolean;
}

/** A real reply that must get this row's hint (tests feed it through a server). */
export interface HintExample {
  protocol: "smtp" | "pop3" | "imap" | "sieve";
  reply: string[];
  /** What the script expected, when the row depends on it. */
  expected?: string;
}

export interface HintRow {
  id: string;
  when: (context: HintContext, text: string) => boolean;
  hint: string;
  /** Where the reply text or the meaning comes from: an RFC, a registry, a vendor document. */
  source: string;
  example?: HintExample;
}

