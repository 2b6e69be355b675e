// Known causes of a failed step, in one table: when a reply looks like a classic
// knowledge-base problem, or the step failed in a known way (no greeting, nothing owed, an
// unexpected refusal), the report says what usually causes it and what to check next, in a
// sentence or two, next to the server's own words. First matching row wins:
//   1. how the step failed, where that says more than the reply (a framing error, no greeting);
//   2. the large providers' and gateways' own codes (providers.ts), then the documented texts
//      of the servers people meet (Postfix, Exim, Dovecot, Microsoft 365, Gmail, greylisting,
//      block lists), each row with its source, then MTAs' own delivery texts
//      (delivery-texts.ts);
//   3. IMAP/POP3/ManageSieve response codes and SMTP enhanced status codes, every one in the
//      registries, generated from registry.ts (registry-rows.ts);
//   4. fallbacks for failures whose reply said nothing more specific.
// Connection and TLS errors have their own table (connection.ts).
import { DELIVERY_TEXTS } from "./delivery-texts.js";
import { PROVIDER_ROWS } from "./providers.js";
import { codeRows, enhancedRows } from "./registry-rows.js";
import type { HintContext, HintExample, HintRow, Situation } from "./types.js";

export type { HintContext, HintExample, HintRow, Situation };

const has = (pattern: RegExp) => (_: HintContext, text: string) => pattern.test(text);
const situation = (name: Situation) => (c: HintContext) => c.situation === name;

const SITUATIONS_FIRST: HintRow[] = [
  { id: "framing", when: situation("framing"), source: "RFC 5321 §4.5.3.1 (reply limits)", hint: "the server is not speaking this protocol, or is broken; mailchat stopped reading to bound memory" },
  {
    id: "no-greeting",
    when: situation("no-greeting"),
    source: "RFC 5321 §3.1; RFC 8314 §3",
    hint: "nothing arrived since the connection opened: if this port speaks implicit TLS (465, 993, 995), use smtps://, imaps:// or pop3s://; otherwise the server may be slow to greet (a tarpit, or reverse-DNS lookups timing out)",
  },
  {
    id: "nothing-owed",
    when: situation("nothing-owed"),
    source: "docs/language.md (replies and the verdict)",
    hint: "no command was waiting for a reply: every reply to the commands sent so far was already taken, so this `expect` waits for something the server has no reason to send (an `expect` too many, or a `send` missing before it)",
  },
  {
    id: "unsolicited-close",
    when: situation("unsolicited-close"),
    source: "RFC 5321 §3.8",
    hint: "a reply nobody asked for, then a close: the server ended the session (a 421 says why: overload, a timeout, a policy); if that is what the script tests, say `expect closed`",
  },
  {
    id: "unsolicited",
    when: situation("unsolicited"),
    source: "RFC 5321 §4.1 (one reply per command)",
    hint: "the server pushes replies unprompted, so every later reply would be read against the wrong command; a server that does this is broken, or something between injects traffic",
  },
];

/** The documented texts of the servers people meet. */
const TEXTS: HintRow[] = [
  {
    id: "starttls-masked",
    when: (c, text) => /capability STARTTLS/i.test(c.expected) && /^250[ -]X{4,}/im.test(text),
    source: "Cisco ASA Series Firewall CLI Configuration Guide, Defaults for ESMTP Inspection (banner masked, STARTTLS removed, EHLO reply parameters masked): https://www.manualslib.com/manual/1531207/Cisco-Asa-Series.html?page=315",
    hint: "the EHLO reply has XXXX-masked lines: a firewall's SMTP inspection (Cisco ASA/PIX \"fixup smtp\" / ESMTP inspection) is rewriting the session and hides STARTTLS; disable the inspection or exempt the mail server",
    example: { protocol: "smtp", reply: ["250-mx.example.com", "250-XXXXXXXA", "250 PIPELINING"], expected: "capability STARTTLS" },
  },
  {
    id: "starttls-missing",
    when: (c) => /^capability STARTTLS/i.test(c.expected) || (c.step === "starttls" && /STARTTLS|STLS/i.test(c.lastSent ?? "")),
    source: "RFC 3207 §4; Microsoft Exchange \"remote SMTP service does not support TLS\"",
    hint: "STARTTLS is missing from the server's capabilities: either the server has no certificate configured for TLS, or a middlebox (firewall SMTP inspection, an anti-spam appliance) strips it — the classic Exchange \"remote SMTP service does not support TLS\"; compare with a session from inside the server's network",
    example: { protocol: "smtp", reply: ["250-mx.example.com", "250-SIZE 10240000", "250 PIPELINING"], expected: "capability STARTTLS" },
  },
  {
    id: "lf-only",
    when: (c, text) => /451 4\.7\.0 Timeout waiting for client input/i.test(text) || (Boolean(c.timedOut) && c.step !== "connect" && c.lastSent !== undefined),
    source: "RFC 5321 §2.3.8, §4.1.1.4; Exchange 451 4.7.0 Timeout waiting for client input",
    hint: "the server never saw the end of the line: lines must end in CRLF (mailchat sends CRLF; a `send raw` without \\r\\n, or a proxy that rewrites line ends, will stall the server until it times out)",
    example: { protocol: "smtp", reply: ["451 4.7.0 Timeout waiting for client input"] },
  },
  {
    id: "plaintext-disallowed",
    when: has(/(?:Plaintext|Cleartext) authentication disallowed|\[PRIVACYREQUIRED\]|LOGINDISABLED/i),
    source: "RFC 2595 §3.2 (LOGINDISABLED); RFC 5530 (PRIVACYREQUIRED); Dovecot src/login-common/login-common.h (\"Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\" in 2.3, \"Cleartext …\" in 2.4)",
    hint: "the server refuses passwords over an unencrypted connection: upgrade with `starttls` first (or connect with pop3s:// / imaps://)",
    example: { protocol: "pop3", reply: ["-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."] },
  },
  {
    id: "o365-smtp-auth-disabled",
    when: has(/5\.7\.139|SmtpClientAuthentication is disabled/i),
    source: "Microsoft Learn: authenticated client SMTP submission (SMTP AUTH per mailbox), https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission; the 535 5.7.139 texts: https://docs.bookyourpto.com/features/smtp-troubleshoot",
    hint: "Microsoft 365 has SMTP AUTH switched off for this tenant or mailbox (5.7.139): enable \"Authenticated SMTP\" for the mailbox, or use OAuth (`auth xoauth2`); security defaults also block basic authentication",
    example: { protocol: "smtp", reply: ["535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."] },
  },
  {
    id: "gmail-app-password",
    when: has(/5\.7\.9 Application-specific password required|InvalidSecondFactor/i),
    source: "Google: Gmail SMTP errors and codes (534 5.7.9)",
    hint: "Gmail wants an app password (534 5.7.9): the account has 2-step verification; create an app password, or use OAuth (`auth xoauth2`)",
    example: { protocol: "smtp", reply: ["534-5.7.9 Application-specific password required. Learn more at", "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp"] },
  },
  {
    id: "o365-send-as",
    when: has(/5\.7\.60\b|does not have permissions? to send as this sender/i),
    source: "Exchange Online \"550 5.7.1 Client does not have permission to send as this sender\": https://irohastack.com/en/exchange-550-5-7-1-en/ (the 5.7.60 form was not found at a public source)",
    hint: "the authenticated account may not send as the MAIL FROM address (5.7.60): use the account's own address, or grant it Send As on the sender's mailbox",
    example: { protocol: "smtp", reply: ["550 5.7.60 SMTP; Client does not have permissions to send as this sender"] },
  },
  {
    id: "sender-login-mismatch",
    when: has(/Sender address rejected: not owned by user|not owned by (?:the )?authenticated user/i),
    source: "Postfix reject_sender_login_mismatch, smtpd_sender_login_maps",
    hint: "the server refuses a MAIL FROM that the login does not own: send with the account's own address, or map the address to the login (Postfix smtpd_sender_login_maps)",
    example: { protocol: "smtp", reply: ["553 5.7.1 <ceo@example.com>: Sender address rejected: not owned by user alice@example.com"] },
  },
  {
    id: "o365-banned-ip",
    when: has(/5\.7\.6(?:0[6-9]|[1-4]\d)\b|banned sending IP/i),
    source: "Microsoft Learn: fix NDR 5.7.606-649 (Access denied, banned sending IP); the real reply with its AS(1430) code: https://pastebin.com/EH1TUb0X",
    hint: "Microsoft 365 blocks the sending IP (5.7.606–5.7.649): request delisting through Microsoft's delist portal and find out why the IP was listed (a compromised account, an open relay)",
    example: { protocol: "smtp", reply: ["550 5.7.606 Access denied, banned sending IP [192.0.2.10]. To request removal from this list please visit https://sender.office.com/"] },
  },
  {
    id: "o365-not-authenticated",
    when: has(/5\.7\.57\b|Client not authenticated to send mail/i),
    source: "Microsoft Learn: SMTP AUTH client submission (5.7.57); the real reply from smtp.office365.us: https://pastebin.com/SuB30vi5",
    hint: "Exchange Online wants the client to authenticate before MAIL FROM (5.7.57): connect to port 587, `starttls`, then `auth`; or send through a connector set up for the client's IP",
    example: { protocol: "smtp", reply: ["530 5.7.57 Client not authenticated to send mail. [AM6P193CA0090.EURP193.PROD.OUTLOOK.COM]"] },
  },
  {
    id: "auth-5.7.3",
    when: has(/^535[ -]5\.7\.3/m),
    source: "Microsoft 365 SMTP AUTH \"535 5.7.3 Authentication unsuccessful\": https://emailwarmup.com/blog/email-errors/how-to-fix-535-5-7-3-authentication-unsuccessful-office-365-oauth",
    hint: "535 5.7.3 (Exchange: authentication unsuccessful): wrong user name or password, the account is not allowed to authenticate on this connector, or basic authentication is disabled for it",
    example: { protocol: "smtp", reply: ["535 5.7.3 Authentication unsuccessful"] },
  },
  {
    id: "auth-failed",
    when: has(/^535\b|^-ERR.*(auth|password|login)|\[AUTHENTICATIONFAILED\]/im),
    source: "RFC 4954 §6 (535 5.7.8); RFC 5530 (AUTHENTICATIONFAILED); Dovecot",
    hint: "the server rejected the credentials: check the user name (often the full address) and the password; with AUTH LOGIN a wrong base64 or user and password swapped gives the same answer; some providers require an app password",
    example: { protocol: "imap", reply: ["A1 NO [AUTHENTICATIONFAILED] Authentication failed."] },
  },
  {
    id: "must-starttls",
    when: has(/^530[ -]5\.7\.0 Must issue a STARTTLS command first|^530 .*STARTTLS/im),
    source: "RFC 3207 §4 (530 5.7.0); Postfix smtpd_tls_security_level = encrypt",
    hint: "the server requires TLS before this command: add `starttls` (and a new `send EHLO …`) before it",
    example: { protocol: "smtp", reply: ["530 5.7.0 Must issue a STARTTLS command first"] },
  },
  {
    id: "tls-required",
    when: has(/TLS required|Encryption required|must use TLS|STARTTLS is required|5\.7\.10\b|5\.7\.30\b/i),
    source: "RFC 3207; RFC 8461 (MTA-STS); RFC 8689 (REQUIRETLS, 5.7.30); Google: 421 4.7.0 TLS required for RCPT domain",
    hint: "the server, or the recipient domain's policy (MTA-STS, REQUIRETLS), demands TLS for this mail: use `starttls` (or smtps://), and check that the certificate verifies for the name you connect to",
    example: { protocol: "smtp", reply: ["421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp"] },
  },
  {
    id: "auth-required",
    when: has(/^530[ -]5\.7\.[01]?\d? ?Authentication required|^530 .*auth/im),
    source: "RFC 4954 §6 (530 5.7.0)",
    hint: "the server requires authentication before MAIL FROM: add `auth …` after STARTTLS (this is normal on submission port 587)",
    example: { protocol: "smtp", reply: ["530 5.7.0 Authentication required"] },
  },
  {
    id: "bare-newline",
    when: has(/bare <?(?:LF|CR)>? received|bare newline|bare linefeed/i),
    source: "Postfix smtpd_forbid_bare_newline (3.5.23/3.6.13/3.7.9/3.8.4 and later, CVE-2023-51764)",
    hint: "the server refuses a line ended by LF or CR alone (an SMTP-smuggling defence): every line must end in CRLF; mailchat sends CRLF except in `send raw` and `probe end-of-data`, so look at the client or a proxy that rewrites line ends",
    example: { protocol: "smtp", reply: ["550 5.5.2 Error: bare <LF> received"] },
  },
  {
    id: "smtputf8-address",
    when: has(/^55[03][ -]5\.6\.7\b|SMTPUTF8 (?:is )?required|non-ASCII address/im),
    source: "RFC 6531 §3.7.4.1 (553 5.6.7: a non-ASCII address without SMTPUTF8)",
    hint: "an address holds non-ASCII characters: declare SMTPUTF8 on MAIL FROM (`send MAIL FROM:<jörg@example.com> SMTPUTF8`), which the server must offer in its EHLO reply (`expect 250 capability SMTPUTF8`), or use an ASCII address",
    example: { protocol: "smtp", reply: ["553 5.6.7 Address contains non-ASCII characters: SMTPUTF8 required"] },
  },
  {
    id: "mail-parameter-unknown",
    when: has(/^555[ -]|^501[ -]5\.5\.4 .*(?:BODY|SMTPUTF8|SIZE|parameter)/im),
    source: "RFC 5321 §4.1.1.11 (555: MAIL FROM/RCPT TO parameters not recognized); RFC 6152, RFC 3030, RFC 6531",
    hint: "the server does not know a parameter of MAIL FROM or RCPT TO: BODY=8BITMIME (RFC 6152), BODY=BINARYMIME (RFC 3030), SMTPUTF8 (RFC 6531) or SIZE= need the matching keyword in the EHLO reply; check it with `expect 250 capability …` first",
    example: { protocol: "smtp", reply: ["555 5.5.4 Unsupported option: BODY=BINARYMIME"] },
  },
  {
    id: "relay-denied",
    when: has(/^5\d\d[ -]5\.7\.1 .*(relay|Relay)|Relay access denied|Unable to relay|relaying denied|relay not permitted/im),
    source: "Postfix src/smtpd/smtpd_check.c reject_unauth_destination (\"<%s>: Relay access denied\"); Exim src/src/configure.default (\"relay not permitted\"); Exchange 5.7.54 (Unable to relay)",
    hint: "the server will not relay to this recipient: relaying needs authentication (`auth` on port 587), or the recipient's domain is not one the server is responsible for (check its local domains)",
    example: { protocol: "smtp", reply: ["554 5.7.1 <x@example.net>: Relay access denied"] },
  },
  {
    id: "greylisting",
    when: has(/greylist|grey-list|graylist|postgrey/i),
    source: "RFC 6647 (email greylisting); postgrey documentation",
    hint: "greylisting: the server refuses the first attempt from an unknown sender and IP on purpose and accepts a retry after a few minutes (typically 5–15); a real mail server retries by itself — try again later; if it never passes, the sender's retries come from changing IPs",
    example: { protocol: "smtp", reply: ["450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html"] },
  },
  {
    id: "block-list",
    when: has(/blocked using|listed (?:at|on|in) [\w.-]+\.(?:org|net|com)|Spamhaus|spamcop|barracudacentral|\bDNSBL\b|\bRBL\b|block ?list|blacklist/i),
    source: "Postfix reject_rbl_client (\"Client host [ip] blocked using LIST\"); Spamhaus; Barracuda",
    hint: "the client's IP is on a DNS block list, the one the reply names: look the IP up on that list's site, fix the cause (an open relay, a compromised account, a dynamic IP range), then request delisting",
    example: { protocol: "smtp", reply: ["554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1"] },
  },
  {
    id: "reverse-dns",
    when: has(/cannot find your (?:reverse )?hostname|reverse (?:DNS|hostname|lookup)|PTR record|4\.7\.25\b|5\.7\.25\b/i),
    source: "Postfix reject_unknown_client_hostname (4.7.25, RFC 7372); Google: 550 5.7.25 no PTR record",
    hint: "the server requires reverse DNS for the client's IP: a PTR record whose name resolves back to the same IP; ask the IP's owner (the ISP or cloud) to set it, and check with `dig -x IP`",
    example: { protocol: "smtp", reply: ["450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.22]"] },
  },
  {
    id: "sender-authentication",
    when: has(/\bSPF\b|\bDKIM\b|\bDMARC\b|sender is unauthenticated|fails? to pass authentication|5\.7\.2[3-6]\b|4\.7\.2[3-6]\b/i),
    source: "RFC 7372 (5.7.23–5.7.26); RFC 7208, RFC 6376, RFC 7489; Google: 550 5.7.26 sender is unauthenticated",
    hint: "the receiver's sender authentication failed (SPF, DKIM or DMARC, as the reply says): check that the sending domain's SPF record includes this server's IP, that outgoing mail is DKIM-signed with a key published in DNS, and that the From domain aligns for DMARC",
    example: { protocol: "smtp", reply: ["550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders", "550 5.7.26 to authenticate with either SPF or DKIM. - gsmtp"] },
  },
  {
    id: "mailbox-full",
    when: has(/over quota|quota exceeded|mailbox (?:is )?full|\[OVERQUOTA\]|insufficient (?:system )?storage|[45]\.2\.2\b/i),
    source: "RFC 3463 §3.3 (x.2.2); RFC 5530 (OVERQUOTA); Dovecot quota; Google: 452 4.2.2 over quota",
    hint: "the recipient's mailbox is full (over quota): the recipient must delete mail or get a larger quota; a 4.2.2 is retried, a 5.2.2 is final",
    example: { protocol: "smtp", reply: ["452-4.2.2 The email account that you tried to reach is over quota. Please direct", "452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp"] },
  },
  {
    id: "too-many-connections",
    when: has(/too many (?:concurrent |simultaneous |open )?connections|connection (?:rate )?limit/i),
    source: "Postfix smtpd_client_connection_count_limit (anvil); Dovecot mail_max_userip_connections",
    hint: "the server limits connections per client or per user: close other sessions (mail clients, phones) or wait before connecting again (Postfix smtpd_client_connection_count_limit, Dovecot mail_max_userip_connections)",
    example: { protocol: "smtp", reply: ["421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1"] },
  },
  {
    id: "too-many-recipients",
    when: has(/too many recipients|4\.5\.3\b/i),
    source: "RFC 5321 §4.5.3.1.8; Postfix smtpd_recipient_limit; Google: 452 4.5.3",
    hint: "the server limits recipients per message: send to the rest in another transaction (MAIL FROM again), in smaller batches",
    example: { protocol: "smtp", reply: ["452 4.5.3 Error: too many recipients"] },
  },
  {
    id: "rate-limit",
    when: has(/rate limit|ratelimit|unusual rate|too quickly|sending rate|4\.7\.28\b|exceeded .*limit/i),
    source: "Google: Gmail SMTP errors (421 4.7.0 unusual rate, 450 4.2.1 receiving mail too quickly, 421 4.7.28); Exim ratelimit ACL",
    hint: "the server is rate-limiting this sender or IP: slow down, spread the mail over time, and check the sender's reputation; retrying later usually works",
    example: { protocol: "smtp", reply: ["450 4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend your message at a later time."] },
  },
  {
    id: "helo-rejected",
    when: has(/Helo command rejected|HELO\/EHLO.*(?:invalid|not found|fully-qualified)/i),
    source: "Postfix reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname",
    hint: "the server refuses the EHLO/HELO name: send a fully-qualified host name that resolves in DNS (ideally the client's reverse-DNS name), not `localhost` or a bare word",
    example: { protocol: "smtp", reply: ["504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname"] },
  },
  {
    id: "sender-domain",
    when: has(/Sender address rejected: Domain not found|sender domain .*(?:does not exist|not found)|5\.1\.8\b/i),
    source: "Postfix reject_unknown_sender_domain; RFC 3463 §3.2 (x.1.8)",
    hint: "the sender's domain does not resolve (no MX or address record): use a MAIL FROM address whose domain exists in DNS",
    example: { protocol: "smtp", reply: ["450 4.1.8 <a@no-such-domain.example>: Sender address rejected: Domain not found"] },
  },
  {
    id: "sender-verify",
    when: has(/Sender verify failed|sender verification failed|Could not verify sender/i),
    source: "Exim src/src/acl.c (\"Sender verify failed\") and smtp_in.c (\"Verification failed for <%s>\" with the callout's Called:/Sent:/Response: lines); Postfix reject_unverified_sender",
    hint: "the server checked the sender address with its domain's mail server and it was refused: make sure the MAIL FROM address exists and accepts mail",
    example: { protocol: "smtp", reply: ["550 Sender verify failed"] },
  },
  {
    id: "greeting-421",
    when: (c, text) => /^421\b/m.test(text) && c.lastSent === undefined,
    source: "RFC 5321 §3.8",
    hint: "the server refused the session at the greeting (421): too many connections, greylisting, rate limiting or the client's IP is blocked; try again later or from another address",
    example: { protocol: "smtp", reply: ["421 4.3.2 Service not available"] },
  },
  {
    id: "greeting-554",
    when: (c, text) => /^554\b/m.test(text) && c.lastSent === undefined,
    source: "RFC 5321 §3.1 (554 at connection)",
    hint: "the server refuses this client at the greeting (554): the client's IP is probably on a block list (check Spamhaus and the server's own access list) or has no reverse DNS",
    example: { protocol: "smtp", reply: ["554 mx.example.com ESMTP not accepting messages"] },
  },
  {
    id: "unknown-user",
    when: has(/^550[ -]5\.1\.1|User unknown|Recipient address rejected: User unknown|No such user|does not exist/im),
    source: "RFC 3463 §3.2 (x.1.1); Postfix src/smtpd/smtpd_check.c (\"User unknown in local recipient table\", \"… in virtual mailbox table\")",
    hint: "the recipient does not exist on this server (5.1.1): check the address and the server's alias and recipient maps",
    example: { protocol: "smtp", reply: ["550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table"] },
  },
  {
    id: "size",
    when: has(/^552\b|message size exceeds|too big|message too large/im),
    source: "RFC 1870 (SIZE); Postfix message_size_limit",
    hint: "the message is larger than the server accepts: compare with the SIZE in the EHLO reply",
    example: { protocol: "smtp", reply: ["552 5.3.4 Error: message file too big"] },
  },
  {
    id: "bad-sequence",
    when: has(/^503\b/m),
    source: "RFC 5321 §4.2.4 (503)",
    hint: "503 bad sequence of commands: send EHLO before MAIL FROM, MAIL FROM before RCPT TO, and a new EHLO after STARTTLS; AUTH twice is also a 503",
    example: { protocol: "smtp", reply: ["503 5.5.1 Error: need MAIL command"] },
  },
  {
    id: "mechanism",
    when: has(/^504\b|Unrecognized authentication type|mechanism not supported/im),
    source: "RFC 4954 §6 (504 5.5.4)",
    hint: "the server does not offer this SASL mechanism: look at the AUTH line of the EHLO reply (after STARTTLS) and pick one it lists",
    example: { protocol: "smtp", reply: ["504 5.5.4 Unrecognized authentication type"] },
  },
  {
    id: "unrecognized",
    when: has(/^50[02]\b/m),
    source: "RFC 5321 §4.2.4 (500, 502)",
    hint: "the server did not recognise the command: check its spelling, and whether the server speaks ESMTP (HELO-only servers answer EHLO with 500/502)",
    example: { protocol: "smtp", reply: ["502 5.5.2 Error: command not recognized"] },
  },
  {
    id: "sieve-script-error",
    when: (c, text) => c.protocol === "sieve" && /^NO\b[\s\S]*line \d+/m.test(text),
    source: "RFC 5804 §2.12; Pigeonhole",
    hint: "the server's Sieve compiler refused the script: the reply names the line; check the syntax there, and that every `require`d extension is in the server's SIEVE capability (RFC 5804 §2.12)",
    example: { protocol: "sieve", reply: ["NO \"line 1: error: require command: unknown Sieve capability `foo'.\""] },
  },
  {
    id: "pop3-in-use",
    when: has(/\[IN-USE\]/),
    source: "RFC 2449 §8.1.1 (IN-USE)",
    hint: "the mailbox is locked by another POP3 session (or a stale lock): close the other client and try again",
    example: { protocol: "pop3", reply: ["-ERR [IN-USE] Mailbox is locked by another POP3 session"] },
  },
  {
    id: "imap-unavailable",
    when: has(/\[UNAVAILABLE\]/),
    source: "RFC 5530 §3 (UNAVAILABLE)",
    hint: "the server cannot serve this mailbox now (a back end is down or in maintenance): try again later",
    example: { protocol: "imap", reply: ["A1 NO [UNAVAILABLE] Temporary authentication failure"] },
  },
  {
    id: "bye",
    when: has(/^\* BYE/m),
    source: "RFC 9051 §7.1.5 (BYE)",
    hint: "the server said BYE and is closing: at connect this means it refuses sessions (overload, block list); after a command, an idle timeout or a shutdown",
    example: { protocol: "imap", reply: ["* BYE Server shutting down."] },
  },
];

const SITUATIONS_LAST: HintRow[] = [
  {
    id: "closed-early",
    when: situation("closed-early"),
    source: "RFC 5321 §3.8",
    hint: "a server that closes before the script ends refused the session (a 421 names its reason); if the close is expected, say so with `expect closed`",
  },
  {
    id: "refused-unexpected",
    when: situation("refused-unexpected"),
    source: "docs/language.md (replies and the verdict)",
    hint: "to accept a refusal write the `expect` for it (`expect 550`, `expect -ERR`, `expect NO`), or `expect any` to take whatever comes",
  },
  {
    id: "starttls-refused",
    when: situation("starttls-refused"),
    source: "RFC 3207 §4",
    hint: "the server does not offer STARTTLS here: check that `capability STARTTLS` is in the EHLO reply, and that the server has a certificate configured",
  },
];

/** Registry rows for codes a documented text above already explains are left out: the
 *  specific hint wins, and every row left can fire. */
function uncovered(rows: HintRow[]): HintRow[] {
  return rows.filter((row) => {
    const example = row.example!;
    const context: HintContext = { protocol: example.protocol, reply: example.reply, expected: "", step: "expect", lastSent: "NOOP" };
    return !TEXTS.some((text) => text.when(context, example.reply.join("\n")));
  });
}

let rows: readonly HintRow[] | undefined;

/** Every row, in the order they are tried. Made when a hint is first wanted: weeding the
 *  registry rows runs every text's matcher (~5 ms), which a passing run never needs. */
export function hintRows(): readonly HintRow[] {
  rows ??= [...SITUATIONS_FIRST, ...PROVIDER_ROWS, ...TEXTS, ...DELIVERY_TEXTS, ...uncovered(codeRows()), ...uncovered(enhancedRows()), ...SITUATIONS_LAST];
  return rows;
}

/** The first row that fits, with its id (for tests), or undefined. */
export function matchHint(context: HintContext): HintRow | undefined {
  const text = (context.reply ?? []).join("\n");
  return hintRows().find((row) => row.when(context, text));
}

export function hintFor(context: HintContext): string | undefined {
  return matchHint(context)?.hint;
}
