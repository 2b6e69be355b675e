// The transcript of a run as golden-file lines: `C:` client, `S:` server, `*:` events.
// Only what describes the session goes in — no timings, ports of the sandbox or notes —
// so that the same session gives the same transcript.
import type { RunEvent } from "../runtime/events.js";

export function transcriptLine(event: RunEvent): string[] {
  switch (event.type) {
    case "connect":
      return [`*: connect ${event.url}`];
    case "tls": {
      const { facts } = event;
      const lines = [`*: tls ${facts.version} ${facts.cipher}`];
      const cert = facts.certificate;
      if (cert) lines.push(`*: cert ${cert.subject} issued by ${cert.issuer} expires ${cert.validTo.slice(0, 10)}${facts.authorized ? " verified" : ` not verified (${facts.authorizationError ?? "unknown"})`}`);
      return lines;
    }
    case "tls-refused":
      return [`*: tls refused (offered ${event.offered})`];
    case "client":
      return [`C: ${event.text}`];
    case "server":
      return event.lines.map((line) => `S: ${line}`);
    case "closed":
      return [`*: closed by ${event.by}`];
    case "marker":
      return [`*: ${event.message}`];
    default:
      return [];
  }
}

export function transcriptOf(events: RunEvent[]): string[] {
  return events.flatMap(transcriptLine);
}
