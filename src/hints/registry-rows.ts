// Hint rows generated from the registries (registry.ts), so every code has one: IMAP, POP3
// and ManageSieve response codes on a refusal, and SMTP enhanced status codes (RFC 3463) by
// class, subject and detail — the registry's meaning in plain words and what to check next.
import { ENHANCED_DETAILS, ENHANCED_SUBJECTS, RESPONSE_CODES } from "./registry.js";
import type { HintContext, HintRow } from "./types.js";

/** Codes that describe, rather than refuse: no hint, whatever else failed. */
const DESCRIPTIVE = new Set(["CAPABILITY", "UIDNEXT", "UIDVALIDITY", "PERMANENTFLAGS", "READ-WRITE", "READ-ONLY", "APPENDUID", "COPYUID", "UIDNOTSTICKY", "HIGHESTMODSEQ", "CLOSED", "COMPRESSIONACTIVE", "PARSE", "TRYCREATE", "REFERRAL", "UNKNOWN-CTE"]);

const REFUSAL_STATUS = /^(?:\S+ (?:NO|BAD)|-ERR|\* BYE)\b/im;

const sentence = (text: string) => text.replace(/\.$/, "");

export function codeRows(): HintRow[] {
  return RESPONSE_CODES.filter((row) => !DESCRIPTIVE.has(row.code)).map((row) => {
    const code = row.code.replace(/[./-]/g, "\\$&");
    const pattern = new RegExp(`\\[${code}(?:[\\] ]|$)`, "i");
    return {
      id: `${row.protocol}-${row.code.toLowerCase()}`,
      when: (c: HintContext, text: string) => (c.protocol === row.protocol || (row.protocol === "imap" && c.protocol === "sieve")) && pattern.test(text) && (row.code === "ALERT" || REFUSAL_STATUS.test(text)),
      hint: `[${row.code}]: ${sentence(row.meaning)}; ${row.check}`,
      source: row.source,
      example: row.protocol === "imap" ? { protocol: "imap", reply: [`A1 NO [${row.code}] refused`] } : { protocol: "pop3", reply: [`-ERR [${row.code}] refused`] },
    };
  });
}

/** The enhanced status code of a reply's final line: [class, subject, detail]. */
function enhancedCode(text: string): [number, number, number] | undefined {
  const last = text.split("\n").pop() ?? "";
  // A DSN without a Diagnostic-Code gives only its Status line.
  const match = /^(?:\d{3}[ -]|Status: )([45])\.(\d{1,3})\.(\d{1,3})\b/.exec(last);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function enhancedRows(): HintRow[] {
  const details: HintRow[] = ENHANCED_DETAILS.filter((row) => row.code !== "x.1.5" && !/^x\.0\.0$/.test(row.code)).map((row) => {
    const [, subject, detail] = row.code.split(".").map(Number) as [number, number, number];
    return {
      id: `enhanced-${row.code}`,
      when: (_c: HintContext, text: string) => {
        const code = enhancedCode(text);
        return code !== undefined && code[1] === subject && code[2] === detail;
      },
      hint: `x.${subject}.${detail} is "${row.name}": ${sentence(row.meaning)}; ${row.check}`,
      source: row.source,
      example: { protocol: "smtp", reply: [`550 5.${subject}.${detail} refused`] },
    };
  });
  const subjects: HintRow[] = ENHANCED_SUBJECTS.map((row) => ({
    id: `enhanced-subject-x.${row.subject}`,
    when: (_c: HintContext, text: string) => enhancedCode(text)?.[1] === row.subject,
    hint: `an x.${row.subject}.* code is about "${row.name}": ${sentence(row.meaning)}; ${row.check}`,
    source: row.source,
    example: { protocol: "smtp", reply: [`451 4.${row.subject}.99 refused`] },
  }));
  return [...details, ...subjects];
}
