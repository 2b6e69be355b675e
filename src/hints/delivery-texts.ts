// The words a mail server writes for its own failures — no server replied, so no reply code —
// as they appear in a bounce's Diagnostic-Code (X-Postfix; …, x-unix; …), its human part, or
// a log line. Each row names the source the text was checked against.
import type { HintContext, HintRow } from "./types.js";

const has = (pattern: RegExp) => (_: HintContext, text: string) => pattern.test(text);

export const DELIVERY_TEXTS: HintRow[] = [
  {
    id: "mta-connection-refused",
    when: has(/^connect to \S+: Connection refused/m),
    source: "Postfix src/smtp/smtp_connect.c (\"connect to %s[%s]:%d: %m\", status 4.4.1)",
    hint: "nothing listens on the next hop's SMTP port: the receiving server is down, its MTA is not running, or a firewall rejects the connection; check the MX (or transport/relayhost) Postfix chose, and `mailchat run` a connect to it from this host",
  },
  {
    id: "mta-connection-timed-out",
    when: has(/^connect to \S+: (?:Connection timed out|No route to host|Network is unreachable)/m),
    source: "Postfix src/smtp/smtp_connect.c (\"connect to %s[%s]:%d: %m\", status 4.4.1)",
    hint: "the next hop never answered the connection: outbound port 25 is blocked (common at cloud and home providers), the host is down, or a firewall drops the packets; test a TCP connection to port 25 from this host",
  },
  {
    id: "mta-conversation-timed-out",
    when: has(/^(?:conversation with \S+ timed out|lost connection with \S+) while /m),
    source: "Postfix src/smtp/smtp_trouble.c (\"conversation with %s timed out while %s\", \"lost connection with %s while %s\", status 4.4.2)",
    hint: "the connection opened but the next hop stopped answering (the text says at which step): a tarpit or an overloaded server at the greeting, a firewall's SMTP inspection, or an MTU problem when it stalls during the message; `mailchat run` the same session to see where it stops",
  },
  {
    id: "mta-size-limit",
    when: has(/^message size \d+ exceeds size limit \d+ of server/m),
    source: "Postfix src/smtp/smtp_proto.c (\"message size %lu exceeds size limit %.0f of server %s\", status 5.3.4)",
    hint: "the receiving server's EHLO advertised a SIZE smaller than this message, so Postfix did not send it: send a smaller message (attachments by link), or have the receiver raise its limit",
  },
  {
    id: "mta-mailbox-file-too-large",
    when: has(/File too large|Disk quota exceeded/),
    source: "Postfix src/global/mbox_open.c (EFBIG and EDQUOT are a 5.2.2 mailbox-full error); virtual_mailbox_limit, mailbox_size_limit",
    hint: "the recipient's mailbox file reached its size limit (Postfix virtual_mailbox_limit or mailbox_size_limit, or a file-system quota): the recipient must delete mail, or the limit be raised",
  },
  {
    id: "mta-host-not-found",
    when: has(/^Host or domain name not found/m),
    source: "Postfix src/dns/dns_lookup.c (\"Host or domain name not found. Name service error for name=… type=…\")",
    hint: "the recipient's domain has no MX or address record, as this host's resolver sees it: check the domain's spelling, then `dig MX domain` from the sending host (an internal DNS view may differ from the public one)",
  },
  {
    id: "mta-loops-back",
    when: has(/^mail for \S+ loops back to myself/m),
    source: "Postfix src/smtp/smtp_addr.c (\"mail for %s loops back to myself\", status 5.4.6)",
    hint: "the domain's MX points at this very server, but Postfix is not configured to receive mail for it: add the domain to mydestination, virtual_mailbox_domains or relay_domains, or fix the MX",
  },
  {
    id: "dovecot-auth-failed",
    when: has(/\(auth failed, \d+ attempts? in \d+ secs/),
    source: "Dovecot src/login-common/client-common.c (\"auth failed, %u attempts in %u secs\" in the Disconnected line)",
    hint: "a client gave a wrong user name or password (user=<…> and method= say which): check the account in the passdb; many attempts from one rip= you do not know is a password-guessing attack (block it, e.g. with fail2ban)",
  },
];
