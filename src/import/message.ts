// A recorded message's Date and Message-ID belong to the run that sent it: replayed, they
// would date every later message in the past and give each the same id (RFC 5322 §3.6.4
// wants one id a message). So a recorded plain-text message that carries them becomes a
// `data message` block, whose builder makes both when the script runs; its other headers
// and its body are kept as they were. A MIME message (any Content-* header) is left as a
// `data` block: its body is already encoded, and the builder would encode it again.

/** The recorded header lines are "Name: value" (folded lines joined); the body follows. */
function split(lines: readonly string[]): { headers: Array<{ name: string; value: string }>; body: string[] } | undefined {
  const headers: Array<{ name: string; value: string }> = [];
  let i = 0;
  for (; i < lines.length && lines[i] !== ""; i++) {
    const line = lines[i]!;
    const header = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (header) headers.push({ name: header[1]!, value: header[2]! });
    else if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1]!.value += ` ${line.trim()}`;
    else return undefined;
  }
  return headers.length > 0 ? { headers, body: lines.slice(i + 1) } : undefined;
}

const MADE_AT_RUN_TIME = /^(?:date|message-id)$/i;

/** A script string: `"…"` with `${` kept literal. */
const quoted = (text: string) => JSON.stringify(text).replace(/\$\{/g, () => "\\${");

/**
 * The `data message` block for a recorded message (its lines as sent, unstuffed), or
 * undefined when it should stay a `data` block: no Date or Message-ID to remake, a MIME
 * message, or lines that are not a header section.
 */
export function messageBlock(lines: readonly string[]): string[] | undefined {
  const message = split(lines);
  if (!message || !message.headers.some((h) => MADE_AT_RUN_TIME.test(h.name))) return undefined;
  if (message.headers.some((h) => /^(?:content-|mime-version$)/i.test(h.name))) return undefined;
  const out = ["data message"];
  for (const { name, value } of message.headers) if (!MADE_AT_RUN_TIME.test(name)) out.push(`  header ${name} ${quoted(value)}`);
  for (const line of message.body) out.push(`  body ${quoted(line)}`);
  out.push("end");
  return out;
}
