// The transcript line, `C: …` (client), `S: …` (server), `*: …` (an event of the session), the
// one format golden files, import, serve and the text reporters share. This module owns it:
// its prefixes and how a line is read back (src/golden/transcript.ts writes a run's events
// with them). The wire text in a
// line is escaped by the one rule of ./escape.ts, so reading it back gives the exact bytes.
import { unescapeBytes } from "./escape.js";

export const PREFIX = { client: "C: ", server: "S: ", event: "*: " } as const;

/** A transcript line read back. `text` is the wire text as written (escaped); `bytes()` the
 *  exact bytes it stands for. */
export type TranscriptLine =
  | { kind: "client"; text: string; raw: boolean; bytes(): Buffer }
  | { kind: "server"; text: string; bytes(): Buffer }
  | { kind: "connect"; url: string }
  | { kind: "tls"; version: string; cipher: string }
  | { kind: "tls-refused" }
  | { kind: "cert"; verified: boolean }
  | { kind: "closed"; by: "server" | "client" }
  | { kind: "event"; text: string }
  | { kind: "comment" };

/** One line of a transcript, or undefined when it is not one (blank lines are comments). */
export function parseLine(line: string): TranscriptLine | undefined {
  if (!line.trim() || line.startsWith("#")) return { kind: "comment" };
  if (line.startsWith(PREFIX.client)) {
    const text = line.slice(PREFIX.client.length);
    const raw = text.startsWith("(raw) ");
    return { kind: "client", text, raw, bytes: () => unescapeBytes(raw ? text.slice(6) : text) };
  }
  if (line.startsWith(PREFIX.server)) {
    const text = line.slice(PREFIX.server.length);
    return { kind: "server", text, bytes: () => unescapeBytes(text) };
  }
  if (!line.startsWith(PREFIX.event)) return undefined;
  const event = line.slice(PREFIX.event.length);
  let match: RegExpExecArray | null;
  if ((match = /^connect (\S+)/.exec(event))) return { kind: "connect", url: match[1]! };
  if (/^tls refused/.test(event)) return { kind: "tls-refused" };
  if ((match = /^tls (\S+) (\S+)/.exec(event))) return { kind: "tls", version: match[1]!, cipher: match[2]! };
  if (/^cert /.test(event)) return { kind: "cert", verified: / verified$/.test(event) };
  if ((match = /^closed by (server|client)/.exec(event))) return { kind: "closed", by: match[1] as "server" | "client" };
  return { kind: "event", text: event };
}
