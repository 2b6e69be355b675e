// swaks output: ` -> ` what it sent, `<- ` what it read, `===` its own words.
import type { Entry } from "../entries.js";
import { commandLine, sessionBegun } from "./shared.js";

export function parseSwaks(lines: string[]): { entries: Entry[]; implicitTls: boolean } {
  const entries: Entry[] = [];
  let implicitTls = false;
  lines.forEach((line, i) => {
    const n = i + 1;
    let match: RegExpExecArray | null;
    if (!line.trim()) return;
    if ((match = /^=== Trying (\S+?):(\d+)\.\.\./.exec(line))) return void entries.push({ kind: "connect", host: match[1]!, port: Number(match[2]), line: n });
    // `swaks --socket PATH`: the path stands for the host (`lmtp://${host}` is then a socket URL).
    if ((match = /^=== Trying (\/\S+)\.\.\.$/.exec(line))) return void entries.push({ kind: "connect", host: match[1]!, line: n });
    if ((match = /^=== TLS started with cipher (\S+?):(\S+)/.exec(line))) {
      // Before the greeting (`--tlsc`, port 465) the TLS is implicit, not an upgrade.
      implicitTls ||= !entries.some((e) => e.kind === "server");
      if (!implicitTls) entries.push({ kind: "starttls-done", line: n });
      return void entries.push({ kind: "tls", version: match[1]!, cipher: match[2]!, line: n });
    }
    if ((match = /^=== TLS peer (?:subject )?DN="(.*)"/.exec(line))) return void entries.push({ kind: "cert", subject: match[1]!.replace(/^\//, "").replace(/\//g, ", "), line: n });
    if (/^=== Connection closed/.test(line)) return void entries.push({ kind: "closed", line: n });
    // `<**` is a server reply swaks flags as an error: still the server's reply.
    if ((match = /^<\*\*\s*(.*)$/.exec(line))) return void entries.push({ kind: "server", text: match[1]!, line: n });
    if (/^===|^\s*\*\*\*|^ \*\*>/.test(line)) return void (/^\*\*\*/.test(line.trim()) && entries.push({ kind: "unplaced", text: line, line: n, why: "a swaks error line" }));
    if ((match = /^(?:<-|<~)\*?\s*(.*)$/.exec(line))) return void entries.push({ kind: "server", text: match[1]!, line: n });
    if ((match = /^ (?:->|~>)\s*(.*)$/.exec(line))) return void entries.push({ kind: "client", text: match[1]!, line: n });
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) return void entries.push(command);
    entries.push({ kind: "unplaced", text: line, line: n, why: "not a swaks transcript line" });
  });
  return { entries, implicitTls };
}

/** swaks marks its own lines (`=== Trying`, ` -> ` with a space first): sure. Its arrows alone
 *  (`<-`) score below a client log's, whose arrows (msmtp's `-->`, Ruby's `<- "…"`) look alike. */
export function swaksScore(_lines: string[], text: string): number {
  if (/^(?:=== |<\*\* | \*\*> | ->| ~>)/m.test(text)) return 0.8;
  return /^(?:<-|<~|<\*\*)/m.test(text) ? 0.6 : 0;
}
