// Limits and defaults, in one place, each with where it comes from. A silent, slow or
// flooding server must end in a clear failure, never a hang or unbounded memory.

/** How long an `expect` waits when the script says nothing (LANGUAGE.md: 30 s). Also the
 *  default for `connect`: RFC 5321 §4.5.3.2 asks clients to wait 5 minutes for a greeting,
 *  but an interactive check should fail fast; nodemailer's greeting timeout is 30 s too. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; real servers exceed it (long EHLO
 *  keyword lists, Exchange banners), so allow 16× that before calling the server broken. */
export const MAX_REPLY_LINE_BYTES = 8_192;

/** A whole reply (all lines of a multi-line reply). 1 MiB is far beyond any SMTP reply and
 *  bounds memory against a server that streams continuation lines forever. */
export const MAX_REPLY_BYTES = 1_048_576;

/** Lines in one multi-line reply: EHLO replies are ~20 lines; 10 000 means a runaway. */
export const MAX_REPLY_LINES = 10_000;

/** POP3 RETR/TOP and IMAP FETCH carry whole messages: bounded at 64 MiB, well above the
 *  50 MB attachment limits of the large providers. */
export const MAX_MESSAGE_REPLY_BYTES = 64 * 1024 * 1024;

/** Lines in one POP3 list or one IMAP reply (untagged lines before the completion). A
 *  FETCH over a large mailbox yields one line a message; a million lines of tiny data is a
 *  flood, and each line costs far more memory than its bytes (~150 bytes of objects), so lines are capped too: 500 000 lines of a 64 MiB message hold ~80 MB. */
export const MAX_LIST_LINES = 500_000;

/** IMAP literals `{n}` (RFC 9051 §4.3): one literal may not announce more than this. */
export const MAX_LITERAL_BYTES = MAX_MESSAGE_REPLY_BYTES;

/** How long `probe end-of-data` waits for a reply before its bytes count as message content
 *  (`within` changes it). */
export const PROBE_WINDOW_MS = 2_000;

/** A file a `data message` takes (a body file, an attachment): the message is built in
 *  memory, so each is bounded; Postfix's default message_size_limit is 10 MB, and larger
 *  messages go with `data file`, which streams. */
export const MAX_ATTACHMENT_BYTES = 32 * 1_048_576;

/** The largest BDAT chunk a script may ask for: each chunk is held in memory once. */
export const MAX_CHUNK_BYTES = 64 * 1_048_576;

/** RFC 5321 §4.5.3.1.6: a message line is at most 998 octets + CRLF. Longer body lines
 *  are sent as written, but flagged in a note, since many servers reject them. */
export const MAX_BODY_LINE_BYTES = 998;

/** Time for the TLS handshake after STARTTLS or an implicit-TLS connect. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

/** What stands in for a secret in every output unless --show-secrets is given. */
export const SECRET_PLACEHOLDER = "********";

/** `include` chains: deeper than this is a loop by another name. */
export const MAX_INCLUDE_DEPTH = 16;

/** A script with everything it includes: a file included twice by each of a chain of files
 *  doubles at every level, so the expanded size is bounded, not only the depth. */
export const MAX_SCRIPT_BYTES = 8 * 1_048_576;

/** `mailchat shell`: a line typed (or piped) longer than this is refused, not sent. It is
 *  far above any command line (RFC 5321 §4.5.3.1.4: 512 octets; IMAP servers take 8 KiB to
 *  64 KiB), and the session's script as a whole stays under MAX_SCRIPT_BYTES, as a file's. */
export const MAX_SHELL_LINE_BYTES = 65_536;

/** Replies a server sent that no command asked for, held unread: a session that is not
 *  current has no `expect` reading them, and a server writing `250 …` without pause would
 *  otherwise fill memory (1.5 GB in 8 s). Past this many, or past the 64 MiB of one message
 *  reply in all, the connection is dropped as broken. */
export const MAX_UNASKED_REPLIES = 1_000;

/** After a farewell (QUIT, LOGOUT) the server closes the connection: RFC 5321 §4.1.1.10,
 *  RFC 1939 §6, RFC 9051 §6.1.3. mailchat waits this long for that close before closing its
 *  own side, so the transcript says who closed the same way every run (when both hurry, the
 *  order of the two FINs is a race, and a golden file would drift at random). */
export const FAREWELL_CLOSE_MS = 500;

/** `serve`: bytes of client commands received and not yet answered beyond which serve stops
 *  reading the socket (it resumes as the replay takes them). Replies the client leaves unread
 *  pause it too, from the first write that returns false until 'drain'. */
export const SERVE_INPUT_HIGH_BYTES = 65_536;

/** `serve`: commands waiting past this, though reading was paused, end the connection. */
export const SERVE_MAX_QUEUED_INPUT_BYTES = 1_048_576;

/** `serve`: a client that reads none of the replies waiting for it for this long (it writes
 *  and never reads) is disconnected: nothing it could still send would be answered. */
export const SERVE_STALL_TIMEOUT_MS = 5_000;

/** `serve`: a client that sends nothing while its next command is awaited is disconnected.
 *  RFC 5321 §4.5.3.2.7 asks an SMTP server to wait at least 5 minutes for a command. */
export const SERVE_IDLE_TIMEOUT_MS = 300_000;

/** `serve`: once a session is over and serve has closed its side, how long the client has to
 *  close too; what it sends meanwhile is not read. */
export const SERVE_CLOSE_GRACE_MS = 2_000;

/** `mailchat import`: the most a paste may hold, in bytes and in lines. A session copied
 *  from a terminal or a page is a few kilobytes and a few hundred lines; a golden transcript
 *  with a message body rarely reaches a megabyte. Each line costs ~1 KB and ~50 µs on its way
 *  to a compiled script (an entry, a script line, the compiler's tokens): 2 MiB and 20,000
 *  lines keep an import within ~1.5 s and ~170 MiB (measured: 2,000,000 short lines took 26 s
 *  and 2.2 GB; 50,000 took 2–3 s and ~180 MiB). A larger paste is a log, a mailbox or a
 *  binary; it is refused, and never read whole (a pipe is read up to the limit). For a
 *  session with a large message, `data file` carries the body. */
export const MAX_IMPORT_BYTES = 2 * 1_048_576;
export const MAX_IMPORT_LINES = 20_000;

/** `mailchat import`: the longest line of a paste, the same as MAX_REPLY_LINE_BYTES: a longer
 *  reply fails a run anyway, and a command line (512 octets), a message line (998), a SASL
 *  token or a golden line escaped four times over fit well within it. A longer line was never
 *  typed into a session (a file, a log or an attachment pasted whole), so it is refused with
 *  its line number rather than cut: a cut `send` or body line would no longer reproduce the
 *  session, and reading such lines costs time out of proportion (the paste's patterns are
 *  matched line by line). */
export const MAX_IMPORT_LINE_BYTES = MAX_REPLY_LINE_BYTES;

/** `mailchat import` on standard error: the lines not placed are listed up to this many (the
 *  script's `# import:` comments hold them all), each cut to IMPORT_SHOWN_CHARS characters
 *  once escaped, so a binary or garbled paste gives a summary, not a flood. */
export const IMPORT_UNPLACED_SHOWN = 10;
export const IMPORT_SHOWN_CHARS = 160;

/** `mailchat explain --file` or standard input: the most read. A bounce carries the returned
 *  message (attachments included, base64 being a third larger), so it may be several
 *  megabytes; a larger input is a mailbox or a whole log, refused with exit 2 and never read
 *  whole. */
export const MAX_EXPLAIN_BYTES = 16 * 1_048_576;
/** A DNS question (MX, A/AAAA, PTR, TXT, TLSA) waits this long per try, two tries: a
 *  validating resolver that cannot reach an authority answers SERVFAIL well within it. */
export const DNS_QUERY_TIMEOUT_MS = 5_000;
/** An MTA-STS policy: RFC 8461 §3.3 has senders bound the fetch's time and size ("senders
 *  SHOULD limit … to 64 KiB"); a minute-long fetch would hold the run. */
export const MTA_STS_POLICY_MAX_BYTES = 64 * 1024;
export const MTA_STS_FETCH_TIMEOUT_MS = 10_000;
