// The `expect` the shell writes for a reply it showed: what stays the same when the saved
// script runs again — the code and enhanced code (SMTP, LMTP), the status (POP3, IMAP,
// ManageSieve), a response code — and the values that change from run to run (a queue id,
// an APPENDUID) as named captures, never as the text seen once. Candidates go from the most
// to the least precise; the session keeps the first that holds on the reply itself.
import type { Protocol, Reply } from "../protocols/types.js";

/** Values a later line may want, captured by name where a reply carries them. */
const CAPTURES: ReadonlyArray<{ pattern: RegExp; regex: string }> = [
  // Postfix `250 2.0.0 Ok: queued as 4Xk2…`, Exim `250 OK id=1rX…`, sendmail `… Message accepted for delivery`.
  { pattern: /\bqueued as [A-Za-z0-9]+/, regex: String.raw`/queued as (?<queue>[A-Za-z0-9]+)/` },
  { pattern: /\bOK id=[A-Za-z0-9-]+/, regex: String.raw`/OK id=(?<queue>[A-Za-z0-9-]+)/` },
  // RFC 4315 UIDPLUS.
  { pattern: /\[APPENDUID \d+ \d+\]/, regex: String.raw`/\[APPENDUID (?<uidvalidity>\d+) (?<uid>\d+)\]/` },
];

export function expectCandidates(reply: Reply, protocol: Protocol): string[] {
  const kinds = protocol.matchers.kinds;
  const status = reply.status;
  let base: string | undefined;
  if (kinds.includes("code") && status && /^\d{3}$/.test(status)) base = reply.enhanced ? `${status} ${reply.enhanced}` : status;
  else if (kinds.includes("pop-status") && (status === "+OK" || status === "-ERR")) base = status;
  else if (kinds.includes("status") && (status === "OK" || status === "NO" || status === "BAD")) base = status;
  if (kinds.includes("continuation") && status === "+") base = "+";
  if (base === undefined) return ["expect any"];
  const text = reply.lines.join("\n");
  const codes = (protocol.responseCodes?.(reply) ?? []).filter((code) => /^[A-Z][A-Z0-9-]*$/.test(code) && code !== "CAPABILITY" && code !== "APPENDUID");
  const refused = protocol.isRefusal(reply);
  const extra = [
    // A refusal's response code says why ([AUTHENTICATIONFAILED], (QUOTA)): worth pinning.
    ...(refused && codes[0] ? [`[${codes[0]}]`] : []),
    ...CAPTURES.filter((c) => c.pattern.test(text)).map((c) => c.regex),
  ];
  const candidates = [`expect ${[base, ...extra].join(" ")}`];
  if (extra.length > 0) candidates.push(`expect ${base}`);
  if (reply.enhanced) candidates.push(`expect ${status}`);
  candidates.push("expect any");
  return candidates;
}

/** `expect 250 2.0.0` + ` capability STARTTLS`, unless it says so already. */
export function withCapability(expect: string, capability: string): string {
  const matcher = `capability ${capability}`;
  return expect.split(/\s+capability\s+/i).slice(1).some((c) => c.trim().toUpperCase() === capability.toUpperCase()) ? expect : `${expect} ${matcher}`;
}
