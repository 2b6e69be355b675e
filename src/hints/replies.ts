// Known causes of a failed step, in one table: when a reply looks like a classic
// knowledge-base problem, or the step failed in a known way (no greeting, nothing owed, an
// unexpected refusal), the report says what usually causes it. First matching row wins.
// Connection and TLS errors have their own table (connection.ts).

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

export interface HintRow {
  id: string;
  when: (context: HintContext, text: string) => boolean;
  hint: string;
}

const has = (pattern: RegExp) => (_: HintContext, text: string) => pattern.test(text);

export const HINTS: readonly HintRow[] = [
  // How the step failed, where that says more than the reply does.
  {
    id: "framing",
    when: (c) => c.situation === "framing",
    hint: "the server is not speaking this protocol, or is broken; mailchat stopped reading to bound memory",
  },
  {
    id: "no-greeting",
    when: (c) => c.situation === "no-greeting",
    hint: "nothing arrived since the connection opened: if this port speaks implicit TLS (465, 993, 995), use smtps://, imaps:// or pop3s://; otherwise the server may be slow to greet (a tarpit, or reverse-DNS lookups timing out)",
  },
  {
    id: "nothing-owed",
    when: (c) => c.situation === "nothing-owed",
    hint: "no command was waiting for a reply: every reply to the commands sent so far was already taken, so this `expect` waits for something the server has no reason to send (an `expect` too many, or a `send` missing before it)",
  },
  {
    id: "unsolicited-close",
    when: (c) => c.situation === "unsolicited-close",
    hint: "a reply nobody asked for, then a close: the server ended the session (a 421 says why: overload, a timeout, a policy); if that is what the script tests, say `expect closed`",
  },
  {
    id: "unsolicited",
    when: (c) => c.situation === "unsolicited",
    hint: "the server pushes replies unprompted, so every later reply would be read against the wrong command; a server that does this is broken, or something between injects traffic",
  },
  {
    id: "starttls-masked",
    when: (c, text) => /capability STARTTLS/i.test(c.expected) && /^250[ -]X{4,}/im.test(text),
    hint: "the EHLO reply has XXXX-masked lines: a firewall's SMTP inspection (Cisco ASA/PIX \"fixup smtp\" / ESMTP inspection) is rewriting the session and hides STARTTLS; disable the inspection or exempt the mail server",
  },
  {
    id: "starttls-missing",
    when: (c) => /^capability STARTTLS/i.test(c.expected) || (c.step === "starttls" && /STARTTLS|STLS/i.test(c.lastSent ?? "")),
    hint: "STARTTLS is missing from the server's capabilities: either the server has no certificate configured for TLS, or a middlebox (firewall SMTP inspection, an anti-spam appliance) strips it — the classic Exchange \"remote SMTP service does not support TLS\"; compare with a session from inside the server's network",
  },
  {
    id: "lf-only",
    when: (c, text) => /451 4\.7\.0 Timeout waiting for client input/i.test(text) || (Boolean(c.timedOut) && c.step !== "connect" && c.lastSent !== undefined),
    hint: "the server never saw the end of the line: lines must end in CRLF (mailchat sends CRLF; a `send raw` without \\r\\n, or a proxy that rewrites line ends, will stall the server until it times out)",
  },
  {
    id: "plaintext-disallowed",
    when: has(/Plaintext authentication disallowed|\[PRIVACYREQUIRED\]|LOGINDISABLED/i),
    hint: "the server refuses passwords over an unencrypted connection: upgrade with `starttls` first (or connect with pop3s:// / imaps://)",
  },
  {
    id: "o365-smtp-auth-disabled",
    when: has(/5\.7\.139|SmtpClientAuthentication is disabled/i),
    hint: "Microsoft 365 has SMTP AUTH switched off for this tenant or mailbox (5.7.139): enable \"Authenticated SMTP\" for the mailbox, or use OAuth (`auth xoauth2`); security defaults also block basic authentication",
  },
  {
    id: "gmail-app-password",
    when: has(/5\.7\.9 Application-specific password required|InvalidSecondFactor/i),
    hint: "Gmail wants an app password (534 5.7.9): the account has 2-step verification; create an app password, or use OAuth (`auth xoauth2`)",
  },
  {
    id: "o365-send-as",
    when: has(/5\.7\.60|does not have permissions to send as this sender/i),
    hint: "the authenticated account may not send as the MAIL FROM address (5.7.60): use the account's own address, or grant it Send As on the sender's mailbox",
  },
  {
    id: "auth-5.7.3",
    when: has(/^535[ -]5\.7\.3/m),
    hint: "535 5.7.3 (Exchange: authentication unsuccessful): wrong user name or password, the account is not allowed to authenticate on this connector, or basic authentication is disabled for it",
  },
  {
    id: "auth-failed",
    when: has(/^535\b|^-ERR.*(auth|password|login)|\[AUTHENTICATIONFAILED\]/im),
    hint: "the server rejected the credentials: check the user name (often the full address) and the password; with AUTH LOGIN a wrong base64 or user and password swapped gives the same answer; some providers require an app password",
  },
  {
    id: "must-starttls",
    when: has(/^530[ -]5\.7\.0 Must issue a STARTTLS command first|^530 .*STARTTLS/im),
    hint: "the server requires TLS before this command: add `starttls` (and a new `send EHLO …`) before it",
  },
  {
    id: "auth-required",
    when: has(/^530[ -]5\.7\.[01]?\d? ?Authentication required|^530 .*auth/im),
    hint: "the server requires authentication before MAIL FROM: add `auth …` after STARTTLS (this is normal on submission port 587)",
  },
  {
    id: "relay-denied",
    when: has(/^5\d\d[ -]5\.7\.1 .*(relay|Relay)|Relay access denied|Unable to relay|relaying denied/im),
    hint: "the server will not relay to this recipient: relaying needs authentication (`auth` on port 587), or the recipient's domain is not one the server is responsible for (check its local domains)",
  },
  {
    id: "greeting-421",
    when: (c, text) => /^421\b/m.test(text) && c.lastSent === undefined,
    hint: "the server refused the session at the greeting (421): too many connections, greylisting, rate limiting or the client's IP is blocked; try again later or from another address",
  },
  {
    id: "greeting-554",
    when: (c, text) => /^554\b/m.test(text) && c.lastSent === undefined,
    hint: "the server refuses this client at the greeting (554): the client's IP is probably on a block list (check Spamhaus and the server's own access list) or has no reverse DNS",
  },
  {
    id: "unknown-user",
    when: has(/^550[ -]5\.1\.1|User unknown|Recipient address rejected: User unknown|No such user/im),
    hint: "the recipient does not exist on this server (5.1.1): check the address and the server's alias and recipient maps",
  },
  {
    id: "size",
    when: has(/^552\b|message size exceeds|too big/im),
    hint: "the message is larger than the server accepts: compare with the SIZE in the EHLO reply",
  },
  {
    id: "bad-sequence",
    when: has(/^503\b/m),
    hint: "503 bad sequence of commands: send EHLO before MAIL FROM, MAIL FROM before RCPT TO, and a new EHLO after STARTTLS; AUTH twice is also a 503",
  },
  {
    id: "mechanism",
    when: has(/^504\b|Unrecognized authentication type|mechanism not supported/im),
    hint: "the server does not offer this SASL mechanism: look at the AUTH line of the EHLO reply (after STARTTLS) and pick one it lists",
  },
  {
    id: "unrecognized",
    when: has(/^50[02]\b/m),
    hint: "the server did not recognise the command: check its spelling, and whether the server speaks ESMTP (HELO-only servers answer EHLO with 500/502)",
  },
  {
    id: "policy",
    when: has(/^5\d\d[ -]5\.7\.\d+ .*(SPF|DMARC|policy|blocked|spam)/im),
    hint: "a policy rejection: the server's anti-spam checks (SPF, DMARC, block lists) refused the message or the sender",
  },
  {
    id: "sieve-script-error",
    when: (c, text) => c.protocol === "sieve" && /^NO\b[\s\S]*line \d+/m.test(text),
    hint: "the server's Sieve compiler refused the script: the reply names the line; check the syntax there, and that every `require`d extension is in the server's SIEVE capability (RFC 5804 §2.12)",
  },
  {
    id: "pop3-in-use",
    when: has(/\[IN-USE\]/),
    hint: "the mailbox is locked by another POP3 session (or a stale lock): close the other client and try again",
  },
  {
    id: "imap-unavailable",
    when: has(/\[UNAVAILABLE\]/),
    hint: "the server cannot serve this mailbox now (a back end is down or in maintenance): try again later",
  },
  {
    id: "bye",
    when: has(/^\* BYE/m),
    hint: "the server said BYE and is closing: at connect this means it refuses sessions (overload, block list); after a command, an idle timeout or a shutdown",
  },
  // Fallbacks for failures whose reply said nothing more specific.
  {
    id: "closed-early",
    when: (c) => c.situation === "closed-early",
    hint: "a server that closes before the script ends refused the session (a 421 names its reason); if the close is expected, say so with `expect closed`",
  },
  {
    id: "refused-unexpected",
    when: (c) => c.situation === "refused-unexpected",
    hint: "to accept a refusal write the `expect` for it (`expect 550`, `expect -ERR`, `expect NO`), or `expect any` to take whatever comes",
  },
  {
    id: "starttls-refused",
    when: (c) => c.situation === "starttls-refused",
    hint: "the server does not offer STARTTLS here: check that `capability STARTTLS` is in the EHLO reply, and that the server has a certificate configured",
  },
];

/** The first row that fits, with its id (for tests), or undefined. */
export function matchHint(context: HintContext): HintRow | undefined {
  const text = (context.reply ?? []).join("\n");
  return HINTS.find((row) => row.when(context, text));
}

export function hintFor(context: HintContext): string | undefined {
  return matchHint(context)?.hint;
}

