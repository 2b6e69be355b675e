// telnet/nc pastes and pastes of unknown shape: each line read as a reply of the protocol or
// a command, the rest left unplaced with why. Always a candidate, with the lowest score.
import type { ProtocolName } from "../../compile/steps.js";
import type { Entry } from "../entries.js";
import { IMAP_SERVER, POP3_REPLY, SHELL_PROMPT, SMTP_REPLY, TELNET_CHATTER, commandLine, isClient, lastOf, lastSaid, notACommand, plausibleClientLine, sessionBegun, withoutTypingArtefacts } from "./shared.js";

export function parseTelnet(lines: string[], protocol: ProtocolName): Entry[] {
  const entries: Entry[] = [];
  let inList = false; // POP3 multi-line replies
  let inBody = false; // SMTP DATA body, typed by the client
  lines.forEach((typed, i) => {
    const n = i + 1;
    const line = withoutTypingArtefacts(typed);
    if (!line.trim()) {
      if (inBody) entries.push({ kind: "client", text: "", line: n });
      return;
    }
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) return void entries.push(command);
    // `<client connects to service port 110>`: the page's note (RFC examples), not a command.
    if (!inBody && /^\s*<[^<>@]*\s[^<>@]*>\s*$/.test(line)) return void entries.push({ kind: "unplaced", text: line, line: n, why: "a note in angle brackets" });
    // A shell prompt is never sent: it was the user's terminal, not the session.
    if (!inBody && SHELL_PROMPT.test(line)) return void entries.push({ kind: "unplaced", text: line, line: n, why: command ? "a second tool command line" : "a shell prompt" });
    if (/^Connection closed by foreign host|^Connection to \S+ closed|^Connection to host lost/.test(line)) return void entries.push({ kind: "closed", line: n });
    if (TELNET_CHATTER.test(line)) return;
    // gnutls-cli's own report (`- Status: …`, its certificate's keys), and where it connected.
    const gnutls = /^Connecting to '(.+):(\d+)'\.\.\.$/.exec(line);
    if (gnutls && !sessionBegun(entries)) return void entries.push({ kind: "connect", host: gnutls[1]!, port: Number(gnutls[2]), line: n });
    if (/^- [A-Z][\w -]*(?::|was completed|has closed)|^ - subject `|^Processed \d+ CA certificate|^Resolving '|^\s+(?:Public Key (?:ID|PIN):|sha1:|sha256:|pin-sha256:)/.test(line)) return;
    // A paste that shows only the server's side (a tool fed from a pipe) shows no message
    // either: what follows `354` is the server's.
    if (inBody && !entries.some(isClient)) inBody = false;
    if (inBody) {
      // The page lost the `.` (it is easy to miss in a paste): the server's verdict on the
      // message ends the body all the same.
      if (/^250[ -](?:2\.\d\.\d+ )?.*\b(?:queued|accepted|message|ok)\b/i.test(line) && entries.some((e) => e.kind === "client" && e.text !== "")) {
        entries.push({ kind: "unplaced", text: "(end of data)", line: n, why: "the paste shows no `.` ending the message; it is added before the server's reply" });
        entries.push({ kind: "client", text: ".", line: n });
        entries.push({ kind: "server", text: line, line: n });
        inBody = false;
        return;
      }
      entries.push({ kind: "client", text: line, line: n });
      if (line === ".") inBody = false;
      return;
    }
    const server =
      protocol === "smtp" || protocol === "lmtp"
        ? SMTP_REPLY.test(line)
        : protocol === "pop3"
          ? inList || POP3_REPLY.test(line) || /^\+ /.test(line)
          : IMAP_SERVER.test(line) || /^[A-Za-z0-9.]+ (?:OK|NO|BAD)\b/.test(line);
    if (server) {
      entries.push({ kind: "server", text: line, line: n });
      if (protocol === "pop3") {
        if (inList && line === ".") inList = false;
        else if (!inList && line.startsWith("+OK")) {
          const last = lastOf(entries, isClient);
          if (last && last.kind === "client" && /^(CAPA|RETR|TOP|LIST$|UIDL$)/i.test(last.text.trim())) inList = true;
        }
      }
      if ((protocol === "smtp" || protocol === "lmtp") && line.startsWith("354")) inBody = true;
      return;
    }
    if (!plausibleClientLine(protocol, line, lastSaid(entries))) return void entries.push({ kind: "unplaced", text: line, line: n, why: notACommand(protocol) });
    entries.push({ kind: "client", text: line, line: n });
  });
  return entries;
}

