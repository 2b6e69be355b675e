// Labelled transcripts: `C:`/`S:`, `CLIENT:`/`SERVER:`, `<Client>:`, `>`/`<`, in any case.
import type { Entry } from "../entries.js";
import { CLIENT_LABEL, SERVER_LABEL, SHELL_PROMPT, TELNET_CHATTER, commandLine, sessionBegun, withoutTypingArtefacts } from "./shared.js";

export function labelledSides(lines: string[]): { client: number; server: number; other: number } {
  let client = 0;
  let server = 0;
  let other = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    if (CLIENT_LABEL.test(line)) client += 1;
    else if (SERVER_LABEL.test(line)) server += 1;
    else other += 1;
  }
  return { client, server, other };
}

export function parseLabelled(lines: string[]): Entry[] {
  const entries: Entry[] = [];
  lines.forEach((line, i) => {
    const n = i + 1;
    if (!line.trim()) return;
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) return void entries.push(command);
    const client = CLIENT_LABEL.exec(line);
    if (client) {
      const text = withoutTypingArtefacts(line.slice(client[0].length));
      // `C: <client connects to service port 143>`: the page's note, not a command.
      if (/^<[^<>@]*\s[^<>@]*>$/.test(text.trim())) return void entries.push({ kind: "unplaced", text: line, line: n, why: "a note in angle brackets" });
      // `C: telnet mx 587` labels the user's terminal, not the session.
      const typed = commandLine(text, n);
      if (typed && !entries.some((e) => e.kind === "client" || e.kind === "server")) return void entries.push(typed);
      if (SHELL_PROMPT.test(text)) return void entries.push({ kind: "unplaced", text: line, line: n, why: "a shell prompt" });
      return void entries.push({ kind: "client", text, line: n });
    }
    const server = SERVER_LABEL.exec(line);
    if (server) {
      const text = line.slice(server[0].length);
      // The telnet client's own chatter, labelled as the server's by the page.
      if (/^Connection closed by foreign host|^Connection to \S+ closed|^Connection to host lost/.test(text)) return void entries.push({ kind: "closed", line: n });
      if (TELNET_CHATTER.test(text)) return;
      return void entries.push({ kind: "server", text, line: n });
    }
    entries.push({ kind: "unplaced", text: line, line: n, why: "a line without a client or server label" });
  });
  return entries;
}

/** Labelled sides, whatever the labels; a line without one (`... TLS handshake ...`) does not
 *  make the paste unlabelled, it is reported as not placed. */
export function labelledScore(lines: string[]): number {
  const sides = labelledSides(lines);
  return sides.client > 0 && sides.server > 0 && sides.client + sides.server >= 2 * sides.other ? 0.9 : 0;
}
