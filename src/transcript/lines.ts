// The transcript line, `C: …` (client), `S: …` (server), `*: …` (an event of the session), the
// one format golden files, import, serve and the text reporters share. This module owns it:
// how a run's events are written as lines, and how a line is read back. The wire text in a
// line is escaped by the one rule of ./escape.ts, so reading it back gives the exact bytes.
import type { RunEvent } from "../runtime/events.js";
import { unescapeBytes } from "./escape.js";

export const PREFIX = { client: "C: ", server: "S: ", event: "*: " } as const;

/** A run event as transcript lines; events that do not describe the session (timings, the
 *  sandbox's ports, notes) give none, so the same session gives the same transcript. */
export function eventLines(event: RunEvent): string[] {
  switch (event.type) {
    case "connect":
      return [`${PREFIX.event}connect ${event.url}`];
    case "tls": {
      const { facts } = event;
      const lines = [`${PREFIX.event}tls ${facts.version} ${facts.cipher}`];
      const cert = facts.certificate;
      if (cert) lines.push(`${PREFIX.event}cert ${cert.subject} issued by ${cert.issuer} expires ${cert.validTo.slice(0, 10)}${facts.authorized ? " verified" : ` not verified (${facts.authorizationError ?? "unknown"})`}`);
      return lines;
    }
    case "tls-refused":
      return [`${PREFIX.event}tls refused (offered ${event.offered})`];
    case "client":
      return [`${PREFIX.client}${event.text}`];
    case "server":
      return event.lines.map((line) => `${PREFIX.server}${line}`);
    case "closed":
      return [`${PREFIX.event}closed by ${event.by}`];
    case "marker":
      return [`${PREFIX.event}${event.message}`];
    default:
      return [];
  }
}

export function transcriptOf(events: readonly RunEvent[]): string[] {
  return events.flatMap(eventLines);
}

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
