// The human part of a non-delivery report: the prose a mail system writes around the reply it
// got. Each reader knows one MTA's or provider's wording (checked against its source, named
// beside it); the text is read paragraph by paragraph with its line breaks flattened, as the
// wording wraps wherever the writer's line length fell.
import type { FoundReply, Reading } from "./reading.js";
import { replyLines } from "./reply-lines.js";

interface ProseFind {
  format: string;
  recipient?: string;
  remoteHost?: string;
  reply: string;
  from: string;
}

type ProseReader = (paragraph: string, next: string | undefined) => ProseFind | undefined;

/** From the first reply code on, cut where the reply ends. */
const fromCode = (text: string) => /\b[245]\d\d[ -].*$/.exec(text)?.[0].trim();

const READERS: ProseReader[] = [
  // Postfix (src/smtp/smtp_proto.c): "<rcpt>: host NAME[ADDR] said: REPLY (in reply to CMD)";
  // its own failures (a timeout, a loop) are the text after "<rcpt>: ".
  (p) => {
    const found = /^<([^>\s]+)>(?: \(expanded from <[^>]*>\))?: (.+)$/.exec(p);
    if (!found) return undefined;
    const said = /^host (\S+?)\[([^\]]*)\](?::\d+)? said: (.+?)(?: \(in reply to (.+?)\))?$/.exec(found[2]!);
    if (said) return { format: "a Postfix bounce message", recipient: found[1]!, remoteHost: `${said[1]} [${said[2]}]`, reply: said[3]!, from: said[4] ? `the reply to ${said[4]}` : "the remote server's reply" };
    return { format: "a Postfix bounce message", recipient: found[1]!, reply: found[2]!, from: "the reporting MTA's own words" };
  },
  // Exim (src/transports/smtp.c): "RCPT host NAME [ADDR] SMTP error from remote mail server
  // after CMD: REPLY".
  (p) => {
    const found = /^(\S+@\S+)(?: <\S+>)? (?:host (\S+) \[([^\]]+)\](?::\d+)?.*? )?SMTP error from remote mail server after (.+?): ([245]\d\d[ -].*)$/.exec(p);
    if (!found) return undefined;
    return { format: "an Exim bounce message", recipient: found[1]!, ...(found[2] ? { remoteHost: `${found[2]} [${found[3]}]` } : {}), reply: found[5]!, from: `the reply after ${found[4]}` };
  },
  // Microsoft Exchange / Microsoft 365: "Remote Server returned 'REPLY'", under "Diagnostic
  // information for administrators", after the recipient's address.
  (p) => {
    const at = p.search(/Remote Server returned '/i);
    if (at < 0) return undefined;
    const reply = /^Remote Server returned '([^']+)'/i.exec(p.slice(at));
    if (!reply) return undefined;
    const found = [undefined, /(\S+@[\w.-]+)\s+$/.exec(p.slice(Math.max(0, at - 320), at))?.[1], reply[1]] as const;
    const host = /(?:^|\s)([\w-]+(?:\.[\w-]+)+) (?:gave this error|rejected your message)/i.exec(p)?.[1];
    return { format: "a Microsoft Exchange / Microsoft 365 non-delivery report", ...(found[1] ? { recipient: found[1] } : {}), ...(host ? { remoteHost: host } : {}), reply: found[2]!.replace(/^#/, ""), from: "Remote Server returned" };
  },
  // Gmail's "Delivery Status Notification": "The response (from the remote server) was:"
  // followed by the reply, in the same paragraph or the next.
  (p, next) => {
    const found = /\bThe (?:response from the remote server|response|error that the other server returned) (?:was|is):?\s*(.*)$/i.exec(p);
    if (!found) return undefined;
    const reply = fromCode(found[1]!) ?? (next ? fromCode(next) : undefined);
    if (!reply) return undefined;
    const recipient = /\b(?:delivered to|recipient failed permanently:|message to)\s+<?(\S+@[\w.-]+?)>?[\s.,]/i.exec(p)?.[1];
    return { format: "a Gmail Delivery Status Notification", ...(recipient ? { recipient } : {}), reply, from: "the response from the remote server" };
  },
];

/** A report's paragraphs are a few lines; a longer one (an attachment, a pasted log) is not
 *  prose, and is not read: it keeps the readers' patterns linear in practice. */
const MAX_PARAGRAPH = 8192;

/** Paragraphs, each on one line. */
function paragraphs(text: string): string[] {
  return text
    .replace(/\r/g, "")
    .split(/\n[ \t]*\n/)
    .filter((p) => p.length <= MAX_PARAGRAPH)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter(Boolean);
}

/** Every recipient a known human part names, with the reply or words that refused it. */
export function readProse(text: string): Reading[] {
  const found: Reading[] = [];
  const all = paragraphs(text);
  all.forEach((paragraph, i) => {
    for (const read of READERS) {
      const find = read(paragraph, all[i + 1]);
      if (!find) continue;
      const deciding: FoundReply = { lines: replyLines(find.reply), from: find.from };
      found.push({ format: find.format, protocol: "smtp", ...(find.recipient ? { recipient: find.recipient } : {}), ...(find.remoteHost ? { remoteHost: find.remoteHost } : {}), deciding, context: [] });
      return;
    }
  });
  return found;
}
