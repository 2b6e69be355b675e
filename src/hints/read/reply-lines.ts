// Replies as texts quote them: a multi-line SMTP reply flattened onto one line (a DSN's
// folded Diagnostic-Code, a log line), and replies nested in a reply (Exim's sender-verify
// callout quotes the reply it got from the sender's server). The deciding reply is the outer
// one: its last line carries the code the server refused with; a nested reply is context.

/** A flattened multi-line reply ("550-5.1.1 The email … 550-5.1.1 double-checking … 550
 *  5.1.1 https://… - gsmtp") back as its lines: split before every ` NNN-` and before the
 *  last ` NNN ` with the same code as the first line. */
export function replyLines(text: string): string[] {
  const lines = text
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const first = /^([245]\d\d)-/.exec(lines[0] ?? "");
  if (lines.length !== 1 || !first) return lines;
  const code = first[1]!;
  const parts = lines[0]!.split(new RegExp(`\\s+(?=${code}-)`));
  const last = parts.pop()!;
  const final = last.lastIndexOf(` ${code} `);
  if (final > 0 && !last.startsWith(`${code} `)) parts.push(last.slice(0, final).trim(), last.slice(final + 1).trim());
  else parts.push(last);
  return parts.filter(Boolean);
}

/** A line that quotes another server's reply: "550-Response: 550 5.1.1 <x@y>: User unknown"
 *  (Exim's callout), "550-550 5.1.1 …" (Exim's recipient callout). */
const NESTED = /^[245]\d\d[ -](?:[A-Za-z][\w -]{0,30}:\s*)?([245]\d\d[ -].*)$/;

/** The outer reply's lines, and the replies quoted inside it. */
export function separateNested(lines: string[]): { outer: string[]; nested: string[] } {
  const outer: string[] = [];
  const nested: string[] = [];
  for (const line of lines) {
    const quoted = NESTED.exec(line);
    if (quoted && outer.length > 0) nested.push(quoted[1]!);
    else outer.push(line);
  }
  return { outer, nested };
}

/** The enhanced status code a reply refuses with: on its last line, else its first. */
export function enhancedCodeOf(lines: string[]): string | undefined {
  for (const line of [lines[lines.length - 1] ?? "", lines[0] ?? ""]) {
    const code = /^[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(line);
    if (code) return code[1];
  }
  return undefined;
}
