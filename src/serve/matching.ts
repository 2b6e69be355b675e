// How `serve` compares what a client sends with what the recording holds. Real clients vary
// where the protocols let them — command case, the EHLO name, ESMTP parameters such as SIZE=,
// IMAP tags, the headers of a message — so by default those are not compared; `--strict`
// compares byte for byte. Secrets and masked text match any value in both modes.
import { BUILT_IN_MASKS } from "../golden/masks.js";
import { SECRET_PLACEHOLDER } from "../limits.js";
import { escapeRegex } from "../regex-escape.js";

/** A recorded client line as a pattern: secrets and masked text match any value. */
export function clientPattern(expected: string, flags = ""): RegExp {
  const placeholders = [SECRET_PLACEHOLDER, ...new Set(BUILT_IN_MASKS.map((m) => m.replacement.replace(/^\$1/, "")).filter((r) => /^<[a-z-]+>/.test(r)))];
  let pattern = "";
  let rest = expected;
  while (rest) {
    const hit = placeholders.map((p) => ({ p, at: rest.indexOf(p) })).filter((h) => h.at >= 0).sort((a, b) => a.at - b.at)[0];
    if (!hit) {
      pattern += escapeRegex(rest);
      break;
    }
    pattern += `${escapeRegex(rest.slice(0, hit.at))}.+?`;
    rest = rest.slice(hit.at + hit.p.length);
  }
  return new RegExp(`^${pattern}$`, flags);
}


/** A client line reduced to what a recording can hold every client to. */
export function canonicalCommand(line: string): string {
  // A stray CR or trailing blank from a sloppy terminal is not part of the command.
  line = line.replace(/(?:\\r|\s)+$/, "");
  const [verb = "", ...rest] = line.trim().split(/\s+/);
  const upper = verb.toUpperCase();
  // The client's own name is its business (RFC 5321 §4.1.1.1).
  if (upper === "EHLO" || upper === "HELO" || upper === "LHLO") return "EHLO";
  // The address is the transaction; SIZE=, BODY=, SMTPUTF8, RET= … are the client's choice.
  const path = /^(MAIL\s+FROM|RCPT\s+TO):\s*(<[^>]*>)/i.exec(line.trim());
  if (path) return `${path[1]!.toUpperCase().replace(/\s+/, " ")}:${path[2]!.toLowerCase()}`;
  // IMAP: a quoted string without specials is the same string as an atom (RFC 9051 §4.3),
  // and one FETCH item is the same in parentheses or not (RFC 9051 §9, `fetch`).
  return [upper, ...rest]
    .join(" ")
    .replace(/"([^"\\\s(){%*\]]*)"/g, "$1")
    .replace(/^((?:UID )?FETCH \S+ )\(([^()\s]+)\)$/i, "$1$2");
}

export function sameClientLine(recorded: string, received: string, strict: boolean): boolean {
  if (strict) return clientPattern(recorded).test(received);
  return clientPattern(canonicalCommand(recorded), "i").test(canonicalCommand(received));
}

/** The protocol's own way to say "not that": the client sees why the session ends. */
export function divergenceReply(scheme: string, expected: string, clientTag: string | undefined): string {
  const why = `mailchat serve: the recording expects \`${expected}\` here`;
  if (/^pop3/.test(scheme)) return `-ERR ${why}`;
  if (/^imap/.test(scheme)) return `${clientTag ?? "*"} BAD ${why}`;
  if (scheme === "sieve") return `NO "${why.replace(/["\\]/g, "")}"`;
  return `500 5.5.1 ${why}`;
}
