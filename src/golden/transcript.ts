// A run's events as transcript lines (the format of src/transcript/lines.ts), for golden files
// and the JUnit report.
import type { RunEvent } from "../runtime/events.js";
import { PREFIX } from "../transcript/lines.js";

/** A run event as transcript lines; events that do not describe the session (timings, the
 *  sandbox's ports, notes) give none, so the same session gives the same transcript. */
export function transcriptLine(event: RunEvent): string[] {
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
  return events.flatMap(transcriptLine);
}
