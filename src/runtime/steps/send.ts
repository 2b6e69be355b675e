// `send` and `send raw`. A `send` line goes out as the protocol session frames it (IMAP adds
// the tag, waits for a literal's `+`); raw bytes go out as they are, and the replies they ask
// for are left to the script's own `expect`s.
import type { SizedBytes } from "../../compile/steps.js";
import { transcriptParts, type RunContext } from "../context.js";
import { StepFailure } from "../failures.js";

/** A command line as the protocol frames it; a synchronizing literal's `+` is waited for.
 *  Not async, as `ctx.send`: it may throw before it returns. */
export function sendCommand(ctx: RunContext, line: string, timeoutMs: number): Promise<void> {
  const command = ctx.session!.command(line, ctx.capabilities);
  const sent = ctx.send(command.wire, command.shown, command.replies, command.continues);
  return command.awaitsGoAhead ? sent.then(() => literalGoAhead(ctx, timeoutMs)) : sent;
}

async function literalGoAhead(ctx: RunContext, timeoutMs: number): Promise<void> {
  const reply = await ctx.take(timeoutMs, "+ (go ahead with the literal)", "send");
  if (reply.status !== "+") {
    ctx.putBack(reply);
    throw new StepFailure({ message: "the server did not accept the literal: it sent no + continuation", expected: "+", actual: ctx.shownReply(reply) });
  }
}

/** The announcement of a sized literal: `{n}` (or `{n+}` as the protocol and server allow),
 *  `~{n}` for BINARY's literal8. */
function announce(ctx: RunContext, literal: SizedBytes): string {
  return `${literal.binary ? "~" : ""}${ctx.protocol!.literal!(literal.bytes.length)}`;
}

/** A literal's bytes in the transcript: a file as one summary line, text line by line. */
function showLiteral(ctx: RunContext, literal: SizedBytes): void {
  if (literal.file) {
    ctx.emit({ type: "client", text: ctx.shown(`(literal from ${literal.file}: ${literal.bytes.length} bytes)`), secret: false });
    return;
  }
  const parts = transcriptParts(literal.bytes);
  // The CRLF ending the literal's last line starts no line of its own.
  if (parts.length > 1 && parts[parts.length - 1]!.length === 0) parts.pop();
  for (const part of parts) ctx.emit({ type: "client", text: ctx.book.show(part), secret: false });
}

/**
 * A line with sized literals: mailchat announces each (`{n}`, `{n+}`, `~{n}`), waits for the
 * go-ahead where needed, sends its bytes, then what follows it on the line (CATENATE's `)`,
 * MULTIAPPEND's next message); the CRLF after the last piece ends the command, which owes
 * one reply.
 */
export async function sendWithLiteral(ctx: RunContext, line: string, literal: SizedBytes, timeoutMs: number, after: Array<{ text: string; literal?: SizedBytes }> = []): Promise<void> {
  await sendCommand(ctx, line ? `${line} ${announce(ctx, literal)}` : announce(ctx, literal), timeoutMs);
  let current = literal;
  for (const piece of after) {
    if (!piece.literal && piece.text === "") break;
    ctx.session!.raw(current.bytes);
    showLiteral(ctx, current);
    await ctx.write(current.bytes, "the literal");
    if (!piece.literal) return sendCommand(ctx, piece.text, timeoutMs);
    await sendCommand(ctx, `${piece.text}${announce(ctx, piece.literal)}`, timeoutMs);
    current = piece.literal;
  }
  const data = Buffer.concat([current.bytes, Buffer.from("\r\n")]);
  ctx.session!.raw(data);
  ctx.owe("", line, 1, false);
  showLiteral(ctx, current);
  await ctx.write(data, "the literal");
}

export async function sendRaw(ctx: RunContext, bytes: string): Promise<void> {
  // `\xHH` escapes are bytes; text beyond Latin-1 (an emoji, SMTPUTF8) goes as UTF-8.
  const buffer = Buffer.from(bytes, /[^\x00-\xff]/.test(bytes) ? "utf8" : "latin1");
  const lines = buffer.toString("latin1").split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines) for (const secret of ctx.spotter?.client(line) ?? []) ctx.book.add(secret);
  // The replies raw bytes ask for cannot be counted: the script's own `expect`s take them.
  ctx.owed = 0;
  ctx.answering = [];
  ctx.connection?.sentRaw(lines);
  ctx.session?.raw(buffer);
  const shown = `(raw) ${ctx.book.show(buffer)}`;
  ctx.lastSent = shown;
  ctx.emit({ type: "client", text: shown, secret: false });
  await ctx.write(buffer, shown);
}

/**
 * `pipeline`: the commands framed as the protocol frames them, sent in one write (RFC 2920),
 * once the server has said it accepts that. Their replies are owed in order; the `expect`s
 * after the block take them, each tied to its command.
 */
export async function sendPipeline(ctx: RunContext, lines: string[]): Promise<void> {
  const rules = ctx.protocol!.pipelining!;
  if (rules.capability && !ctx.capabilities?.has(rules.capability)) {
    const listed = ctx.capabilities ? `its capabilities were ${ctx.protocol!.describeCapabilities(ctx.capabilities)}` : "no capability list was read on this connection";
    throw new StepFailure({
      message: `the server did not offer ${rules.capability}, so these ${lines.length} commands were not sent in one write (${listed})`,
      expected: `capability ${rules.capability}`,
      actual: ctx.capabilities ? ctx.protocol!.describeCapabilities(ctx.capabilities) : "(no capabilities read)",
      hint: ctx.capabilities
        ? `without ${rules.capability} a server may drop or refuse commands that arrive before their turn; send them one by one, or enable pipelining on the server (Postfix offers it unless smtpd_discard_ehlo_keywords lists it)`
        : `ask for the capabilities first (${ctx.protocol!.name === "pop3" ? "`send CAPA`" : "`send EHLO name`"} and its \`expect\`), then pipeline`,
    });
  }
  const commands = lines.map((line) => ctx.session!.command(line, ctx.capabilities));
  const shown = commands.map((command) => ctx.owe(command.wire, command.shown, command.replies, true));
  ctx.emit({ type: "marker", message: `pipeline: ${commands.length} commands in one write` });
  commands.forEach((command, index) => ctx.emit({ type: "client", text: shown[index]!, secret: command.shown !== command.wire }));
  ctx.lastSent = shown[shown.length - 1];
  await ctx.write(commands.map((command) => `${command.wire}\r\n`).join(""), `the pipeline of ${commands.length} commands`);
}
