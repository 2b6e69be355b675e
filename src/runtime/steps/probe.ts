// `probe end-of-data "ENDING"`: does the server end a message on a non-canonical end of
// data? The SMTP-smuggling question (CVE-2023-51764/51765/51766). After DATA and its 354 the
// probe sends, in one write, a short message whose text ends with ENDING, then a NOOP line:
//
//   ends     — the server replied to the message and then to the NOOP: it took ENDING as
//              the end of data and the next line as a command, so a second message can be
//              smuggled in one. The step fails.
//   refused  — it refused the bytes (a 4xx/5xx, or it closed the connection). Passes.
//   content  — it kept reading the message, ENDING and NOOP included, until the canonical
//              end the probe then sends. Passes.
import type { Step } from "../../compile/steps.js";
import { escapeBytes } from "../../transcript/escape.js";
import type { Reply } from "../../protocols/types.js";
import type { RunContext } from "../context.js";
import { StepFailure } from "../failures.js";
import { goAhead } from "./data.js";

const NOOP = "NOOP mailchat-end-of-data-probe";

type Send = (line: string) => Promise<void>;

export async function probeEndOfData(ctx: RunContext, step: Extract<Step, { kind: "probe-end-of-data" }>, sendCommand: Send): Promise<void> {
  const ending = Buffer.from(ctx.render(step.ending), "latin1");
  const label = `end-of-data probe "${escapeBytes(ending)}"`;
  await goAhead(ctx, step.timeoutMs, sendCommand);
  const probe = Buffer.concat([Buffer.from("Subject: mailchat end-of-data probe\r\n\r\nThis message tests where the server ends a message.\r\nprobe", "latin1"), ending, Buffer.from(`${NOOP}\r\n`, "latin1")]);
  // How many replies these bytes ask for is what the probe finds out.
  ctx.owed = 0;
  ctx.answering = [];
  const connection = ctx.connection!;
  connection.sentRaw([]);
  ctx.emit({ type: "client", text: `(probe) ${ctx.book.show(probe)}`, secret: false });
  ctx.lastSent = "(the probe)";
  await ctx.write(probe, "the probe");

  const refused = (reply: Reply | undefined, when: string) => {
    const said = reply ? ` (${ctx.shownReply(reply).split("\n").pop()})` : "";
    ctx.emit({ type: "marker", message: `${label}: refused ${when}${said}` });
    if (connection.closed || ctx.connection?.closed) ctx.connection = undefined;
  };
  const first = await connection.next(step.windowMs);
  if (first.kind === "reply") {
    if (ctx.protocol!.isRefusal(first.reply)) return refused(first.reply, "the bytes");
    return ends(ctx, step, label, first.reply, ending);
  }
  if (first.kind === "closed") return refused(undefined, "the bytes: it closed the connection");
  if (first.kind === "framing") throw new StepFailure({ message: first.error.message, expected: "a reply, or none", actual: ctx.shownBytes(first.error.received), span: step.span });

  // Still reading the message: end it canonically (the NOOP line supplied the CRLF).
  ctx.emit({ type: "client", text: ".", secret: false });
  await ctx.write(".\r\n", "the end of data");
  const final = await connection.next(step.timeoutMs);
  if (final.kind !== "reply") {
    if (final.kind === "closed") return refused(undefined, "at the end of data: it closed the connection");
    throw new StepFailure({ message: `no reply to the end of data within ${step.timeoutMs / 1000} s after the probe`, expected: "a reply", actual: final.kind === "timeout" ? ctx.shownBytes(final.partial) : "", span: step.span });
  }
  if (ctx.protocol!.isRefusal(final.reply)) return refused(final.reply, "at the end of data");
  // A slow server may have ended the message at the probe after all: its NOOP reply follows.
  const extra = await connection.next(Math.max(step.windowMs / 4, 100));
  if (extra.kind === "reply") return ends(ctx, step, label, final.reply, ending);
  if (extra.kind === "closed") ctx.connection = undefined;
  ctx.emit({ type: "marker", message: `${label}: content (the message ended only at the canonical end)` });
}

function ends(ctx: RunContext, step: Extract<Step, { kind: "probe-end-of-data" }>, label: string, reply: Reply, ending: Buffer): never {
  ctx.emit({ type: "marker", message: `${label}: ends the message` });
  throw new StepFailure({
    message: `the server ended the message at "${escapeBytes(ending)}" and read what followed as commands: a sender can smuggle a second message, with a forged sender, inside one (SMTP smuggling)`,
    expected: `the probe refused, or kept as message content`,
    actual: ctx.shownReply(reply),
    span: step.span,
    hint: "Postfix: set smtpd_forbid_bare_newline = normalize (3.9+) or yes (3.5.23, 3.6.13, 3.7.9, 3.8.4 and later) and keep smtpd_forbid_bare_newline_exclusions to hosts you trust (CVE-2023-51764); Exim: 4.97.1 or later (CVE-2023-51766); Sendmail: 8.18 with srv_features O (CVE-2023-51765); an outbound relay that passes bare LF or CR through needs fixing too",
  });
}
