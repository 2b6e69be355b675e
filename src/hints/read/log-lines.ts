// Lines of an MTA's log, one reader per MTA, each written from the MTA's own source:
//   Postfix: log_adhoc.c ("to=<…>, relay=…, dsn=…, status=… (…)") and smtpd_check.c
//     log_whatsup ("QUEUEID: reject: CMD from NAME[ADDR]: REPLY; from=<…> to=<…> …");
//   Exim: deliver.c/transports/smtp.c ("ID ** rcpt R=… T=… H=host [ip]: SMTP error from
//     remote mail server after CMD: REPLY", "==" for a deferral) and acl.c ("H=… F=<…>
//     rejected RCPT <…>: MESSAGE");
//   Sendmail (no source at hand: its published log lines and the O'Reilly book, 3rd ed., §14):
//     "QUEUEID: to=<…>, … relay=host. [ip], dsn=…, stat=…" and "ruleset=check_*, arg1=…,
//     [relay=…,] reject=REPLY";
//   Dovecot: "SERVICE(user)<…>: [Error: ]MESSAGE" (lmtp, lda, imap-login, pop3-login);
//   Microsoft 365 message trace: a Fail event's detail "[{LED=REPLY};{MSG=};{FQDN=host};
//     {IP=addr};{LRT=}]" (written from such details as admins paste them; no public copy of the
//     format was found to check it against).
import type { Reading } from "./reading.js";
import { replyLines } from "./reply-lines.js";

/** A syslog prefix ("Dec  6 06:41:01 host " or an RFC 3339 stamp and host), if any. */
const SYSLOG = String.raw`^(?:(?:[A-Z][a-z]{2}\s+\d{1,2}\s+[\d:]{8}|\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)\s+\S+\s+)?`;

const POSTFIX = new RegExp(`${SYSLOG}postfix(?:-[\\w-]+)?/([\\w/-]+)\\[\\d+\\]:\\s+(.*)$`);
const SENDMAIL = new RegExp(`${SYSLOG}(?:sendmail|sm-mta|sm-msp-queue)\\[\\d+\\]:\\s+(?:\\w+:\\s+)?(.*)$`);
const DOVECOT = new RegExp(String.raw`^(?:[A-Z][a-z]{2}\s+\d{1,2}\s+[\d:]{8}\s+(?:\S+\s+)?)?` + `(?:dovecot(?:\\[\\d+\\])?:\\s+)?(lmtp|lda|imap-login|pop3-login|submission-login|managesieve-login|imap|pop3|auth)(?:\\(([^)]*)\\))?(?:<[^>]*>)*:\\s+(?:(Info|Error|Warning|Fatal|Panic):\\s+)?(.*)$`);
const EXIM = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})? (?:\[\d+\] )?(?:([\w-]{16,23}) )?(.*)$/;

/** "host NAME[ADDR] said: REPLY (in reply to CMD)": Postfix's words for a remote refusal. */
function postfixSaid(text: string): { host?: string; reply: string; from: string } {
  const said = /^host (\S+?)\[([^\]]*)\](?::\d+)? said: (.+?)(?: \(in reply to (.+?)\))?$/.exec(text);
  if (said) return { host: `${said[1]} [${said[2]}]`, reply: said[3]!, from: said[4] ? `the reply to ${said[4]}` : "the remote server's reply" };
  return { reply: text, from: "Postfix's own words" };
}

function postfixLine(line: string): Reading | undefined {
  const match = POSTFIX.exec(line);
  if (!match) return undefined;
  const [, daemon, message] = match as unknown as [string, string, string];
  const delivery = /^\w+: to=<([^>]*)>,(?: orig_to=<[^>]*>,)? relay=([^,]+),.*? dsn=([\d.]+), status=(\w+) \((.*)\)$/.exec(message);
  if (delivery) {
    const [, recipient, relay, dsn, status, text] = delivery as unknown as [string, string, string, string, string, string];
    const said = postfixSaid(text);
    const relayHost = /^(\S+?)\[([^\]]*)\]/.exec(relay);
    const reading: Reading = { format: `a Postfix log line (${daemon})`, protocol: "smtp", recipient, action: status, deciding: { lines: replyLines(said.reply), from: said.from }, context: [{ lines: [`Status: ${dsn}`], from: "dsn=" }] };
    const host = said.host ?? (relayHost ? `${relayHost[1]} [${relayHost[2]}]` : undefined);
    if (host) reading.remoteHost = host;
    return reading;
  }
  const reject = /^\w+: (reject|defer|hold|discard): (\S+) from (\S+?)\[([^\]]*)\](?::\d+)?: (.*?);(?: from=<([^>]*)>)?(?: to=<([^>]*)>)?/.exec(message);
  if (reject) {
    const [, , command, name, addr, reply, , recipient] = reject;
    const reading: Reading = { format: `a Postfix log line (${daemon} refused a client)`, protocol: "smtp", remoteHost: `${name} [${addr}]`, client: true, action: reject[1], deciding: { lines: replyLines(reply!), from: `the reply to ${command}` }, context: [] };
    if (recipient) reading.recipient = recipient;
    return reading;
  }
  return undefined;
}

function eximLine(line: string): Reading | undefined {
  const match = EXIM.exec(line);
  if (!match) return undefined;
  const body = match[2]!;
  // "** rcpt [(parent)] [<orig>] R=… T=… [defer (-N)] [H=host [ip]:port] [I=…] : message": the
  // message starts at Exim's own words, or after the fields' first ": ".
  const delivery = /^(\*\*|==) (\S+) (.*)$/.exec(body);
  const start = delivery ? Math.max(delivery[3]!.indexOf("SMTP error from remote mail server"), 0) : 0;
  const colon = delivery && start === 0 ? delivery[3]!.indexOf(": ") : -1;
  if (delivery && (start > 0 || colon >= 0)) {
    const [, mark, recipient, rest] = delivery as unknown as [string, string, string, string];
    const text = start > 0 ? rest.slice(start) : rest.slice(colon + 2);
    const hostField = / H=(\S+) \[([^\]\s]+)\]/.exec(` ${rest.slice(0, start > 0 ? start : colon)}`);
    const [host, addr] = hostField ? [hostField[1], hostField[2]] : [undefined, undefined];
    // Exim logs a multi-line reply on one line, its line breaks written as "\n".
    const smtp = /^SMTP error from remote mail server after (.+?): ([245]\d\d[ -][\s\S]*)$/.exec(text.replace(/\\n/g, "\n"));
    const reading: Reading = { format: "an Exim log line", protocol: "smtp", recipient, action: mark === "**" ? "failed" : "deferred", deciding: smtp ? { lines: replyLines(smtp[2]!), from: `the reply after ${smtp[1]}` } : { lines: [text], from: "Exim's own words" }, context: [] };
    if (host) reading.remoteHost = `${host} [${addr}]`;
    return reading;
  }
  const rejected = /^H=(?:(.*?) )?\[([^\]]+)\](?::\d+)?.*? (?:rejected (\S+)(?: <([^>]*)>)?|(sender verify (?:fail|defer)) for <([^>]*)>): (.*)$/.exec(body);
  if (rejected) {
    const [, name, addr, command, recipient, verify, sender, text] = rejected;
    const reading: Reading = { format: "an Exim reject log line", protocol: "smtp", remoteHost: name ? `${name} [${addr}]` : `[${addr}]`, client: true, action: "rejected", deciding: { lines: [verify ? `${verify} for <${sender}>: ${text}` : text!], from: verify ? "Exim's sender verification" : `Exim's ACL for ${command}` }, context: [] };
    if (recipient) reading.recipient = recipient;
    return reading;
  }
  return undefined;
}

function sendmailLine(line: string): Reading | undefined {
  const match = SENDMAIL.exec(line);
  if (!match) return undefined;
  const message = match[1]!;
  const delivery = /^to=<?([^>,\s]+)>?,.*? dsn=([\d.]+), stat=(.*)$/.exec(message);
  if (delivery) {
    const [, recipient, dsn, stat] = delivery as unknown as [string, string, string, string];
    const relay = /, relay=([^,]+),/.exec(message)?.[1];
    const deferred = /^Deferred: (.*)$/.exec(stat);
    const text = deferred ? deferred[1]! : stat;
    const reading: Reading = { format: "a Sendmail log line", protocol: "smtp", recipient, action: deferred ? "deferred" : /^Sent\b/.test(stat) ? "sent" : "failed", deciding: { lines: replyLines(text), from: "stat=" }, context: [{ lines: [`Status: ${dsn}`], from: "dsn=" }] };
    const host = relay ? /^(\S+?)\.? \[([^\]]+)\]/.exec(relay.trim()) : undefined;
    if (host) reading.remoteHost = `${host[1]} [${host[2]}]`;
    return reading;
  }
  // "ruleset=check_rcpt, arg1=<…>, relay=host [ip], reject=REPLY" (Sendmail, 3rd ed., §14),
  // relay= not always there: each field is taken on its own.
  const reply = /(?:^|, )reject=(.*)$/.exec(message)?.[1];
  if (reply) {
    const ruleset = /(?:^|, )ruleset=(\w+)/.exec(message)?.[1];
    const arg = /(?:^|, )arg1=<?([^>,]*)>?/.exec(message)?.[1];
    const relay = /(?:^|, )relay=([^,]+),/.exec(message)?.[1];
    const reading: Reading = { format: "a Sendmail reject log line", protocol: "smtp", client: true, action: "rejected", deciding: { lines: replyLines(reply), from: ruleset ? `the reply from ruleset ${ruleset}` : "reject=" }, context: [] };
    if (relay) reading.remoteHost = relay.trim();
    if (ruleset === "check_rcpt" && arg) reading.recipient = arg;
    return reading;
  }
  return undefined;
}

function dovecotLine(line: string): Reading | undefined {
  const match = DOVECOT.exec(line);
  if (!match) return undefined;
  const [, service, user, level, message] = match as unknown as [string, string, string | undefined, string | undefined, string];
  // Only refusals: a failed save or login, an error.
  if (!/failed|Error|Fatal|Panic|Quota|denied|refused|not allowed|doesn.t exist/i.test(`${level ?? ""} ${message}`) || /^Login: /.test(message)) return undefined;
  const reading: Reading = { format: `a Dovecot log line (${service})`, protocol: /^pop3/.test(service) ? "pop3" : /^imap/.test(service) ? "imap" : "smtp", action: level?.toLowerCase() ?? "info", deciding: { lines: [message.replace(/^msgid=<[^>]*>: /, "")], from: `Dovecot ${service}` }, context: [] };
  const who = user ?? /\buser=<([^>]*)>/.exec(message)?.[1];
  if (who) reading.recipient = who;
  const rip = /\brip=([\d.:a-f]+)/.exec(message)?.[1];
  if (rip) {
    reading.remoteHost = rip;
    reading.client = true;
  }
  return reading;
}

/** Microsoft 365 message trace: a Fail (or Defer) event's detail. */
function messageTraceLine(line: string): Reading | undefined {
  const led = /\{LED=([^}]*)\}/.exec(line);
  if (!led || !/[245]\d\d[ -]/.test(led[1]!)) return undefined;
  const fqdn = /\{FQDN=([^};]*)\}/.exec(line)?.[1];
  const ip = /\{IP=([^};]*)\}/.exec(line)?.[1];
  const reading: Reading = { format: "a Microsoft 365 message trace event", protocol: "smtp", deciding: { lines: replyLines(led[1]!.trim()), from: "LED (the last error)" }, context: [] };
  if (fqdn || ip) reading.remoteHost = [fqdn, ip ? `[${ip}]` : ""].filter(Boolean).join(" ");
  const recipient = /\b(?:Recipients?|to)[:=]\s*<?([^\s<>;,]+@[^\s<>;,]+)/i.exec(line)?.[1];
  if (recipient) reading.recipient = recipient;
  return reading;
}

/** Each reader with a word its lines must hold, tested first: a log of 200,000 lines that are
 *  none of these is passed over in well under a second. */
const READERS: Array<[RegExp, (line: string) => Reading | undefined]> = [
  [/postfix/, postfixLine],
  [/^\d{4}-/, eximLine],
  [/sendmail|sm-mta|sm-msp/, sendmailLine],
  [/lmtp|lda|login|imap|pop3|auth/, dovecotLine],
  [/\{LED=/, messageTraceLine],
];

/** No MTA writes a longer log line (Postfix's and syslog's are a few kilobytes); longer lines
 *  are not read as log lines, which keeps the readers' patterns linear in practice. */
const MAX_LOG_LINE = 8192;

/** The refusals among a text's log lines, in order. */
export function readLogLines(text: string): Reading[] {
  const readings: Reading[] = [];
  for (const line of text.replace(/\r/g, "").split("\n")) {
    if (line.length > MAX_LOG_LINE) continue;
    for (const [word, read] of READERS) {
      if (!word.test(line)) continue;
      const reading = read(line.trim());
      if (reading) {
        readings.push(reading);
        break;
      }
    }
  }
  return readings;
}
