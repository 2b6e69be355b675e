// `openssl s_client` output: the handshake's facts, then the session (with `-starttls`, the
// upgrade happened before the paste starts).
import type { ProtocolName } from "../../compile/steps.js";
import type { Entry } from "../entries.js";
import { IMAP_SERVER, POP3_REPLY, SMTP_REPLY, commandLine, inMessage, lastSaid, notACommand, plausibleClientLine, sessionBegun, tightEquals, withoutTypingArtefacts } from "./shared.js";

export function parseOpenssl(lines: string[], protocol: ProtocolName): { entries: Entry[]; implicitTls: boolean; starttls?: string } {
  const entries: Entry[] = [];
  let starttls: string | undefined;
  let inDump = false;
  let afterHandshake = false;
  const session: string[] = [];
  let sessionStart = 0;
  lines.forEach((pasted, i) => {
    const n = i + 1;
    let line = pasted;
    let match: RegExpExecArray | null;
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) {
      entries.push(command);
      starttls = /-starttls\s+(\S+)/.exec(line)?.[1];
      return;
    }
    // A typing mark the page kept (`EHLO x <ENTER>`) was never sent.
    line = withoutTypingArtefacts(line);
    if (/^-----BEGIN CERTIFICATE-----/.test(line)) inDump = true;
    if (inDump) {
      if (/^-----END CERTIFICATE-----/.test(line)) inDump = false;
      return;
    }
    if ((match = /^subject=\s*(.*)$/.exec(line))) return void entries.push({ kind: "cert", subject: tightEquals(match[1]!), line: n });
    if ((match = /^issuer=\s*(.*)$/.exec(line))) return void entries.push({ kind: "cert", issuer: tightEquals(match[1]!), line: n });
    if ((match = /^New, (TLSv[\d.]+|SSLv3), Cipher is (\S+)/.exec(line))) return void entries.push({ kind: "tls", version: match[1]!, cipher: match[2]!, line: n });
    if ((match = /^\s*Verify return code: (\d+)/.exec(line))) return void entries.push({ kind: "cert", verified: match[1] === "0", line: n });
    if (/^read R BLOCK$/.test(line)) return void entries.push({ kind: "unplaced", text: line, line: n, why: "s_client's renegotiation artifact (a line starting with R was taken as a command)" });
    if (/^(?:Server public key|CONNECTED\(|depth=|verify (?:return|error)|---$|Certificate chain|Server certificate|No client certificate|Peer signing|Peer signature|Server Temp Key|SSL handshake|Verification|New, |Secure Renegotiation|Compression|Expansion|No ALPN|Early data|SSL-Session|Post-Handshake|closed$|DONE$|RENEGOTIATING)/.test(line) || /^\s+(?:\d+ s:|i:|a:|v:|Protocol|Cipher|Session-ID|Master-Key|TLS session|PSK|SRP|Start Time|Timeout|Verify return|Extended master|Max Early|[0-9a-f]{4} -)/.test(line)) {
      if (/^---$/.test(line) && entries.some((e) => e.kind === "tls")) afterHandshake = true;
      return;
    }
    if (!line.trim()) return;
    if (!afterHandshake && session.length === 0) sessionStart = n;
    session.push(line);
    void sessionStart;
    // With -starttls, s_client swallows the greeting and EHLO, but prints the EHLO reply's
    // last line after the handshake: it answers nothing the paste shows being sent.
    if (starttls && !entries.some((e) => e.kind === "client") && SMTP_REPLY.test(line)) {
      return void entries.push({ kind: "unplaced", text: line, line: n, why: "the end of the pre-TLS EHLO reply, which s_client prints after the handshake" });
    }
    const kind = protocol === "smtp" || protocol === "lmtp" ? (SMTP_REPLY.test(line) ? "server" : "client") : protocol === "pop3" ? (POP3_REPLY.test(line) ? "server" : "client") : IMAP_SERVER.test(line) || /^\S+ (?:OK|NO|BAD)\b/.test(line) ? "server" : "client";
    if (kind === "client" && !inMessage(entries) && !plausibleClientLine(protocol, line, lastSaid(entries))) return void entries.push({ kind: "unplaced", text: line, line: n, why: notACommand(protocol) });
    entries.push({ kind, text: line, line: n });
  });
  return starttls ? { entries, implicitTls: false, starttls } : { entries, implicitTls: true };
}

/** s_client's handshake report, or its name in the paste. */
export function opensslScore(_lines: string[], text: string): number {
  return /^CONNECTED\(\d+\)|^---$|s_client|^(?:Verify return code|SSL-Session|New, TLS)|^depth=\d+ .*\nverify (?:return|error)/m.test(text) ? 0.5 : 0;
}
