// What `serve` offers a client and answers on its own: the capabilities it announces list
// only the SASL mechanisms it can replay, and the questions a client asks on its own (EHLO
// again, CAPA, CAPABILITY, NOOP, ID …) are answered from the recording's state or with the
// protocol's plain answer.
import type { ReplayLine } from "./recording.js";
import { EQUIVALENT_MECHANISMS, recordedLogin, type Family } from "./login.js";

/** The SASL mechanisms serve can replay for a recorded connection: the ones the recording
 *  used, and (unless strict) the login forms serve accepts in their place. Empty when the
 *  recording never logs in. */
export function replayableMechanisms(family: Family, lines: readonly ReplayLine[], strict: boolean): { mechanisms: Set<string>; used: string[] } {
  const used: string[] = [];
  const mechanisms = new Set<string>();
  for (let at = 0; at < lines.length; at++) {
    const login = recordedLogin(family, lines, at);
    if (!login) continue;
    used.push(login.form);
    if (login.mechanism) mechanisms.add(login.mechanism);
  }
  if (used.length > 0 && !strict) for (const m of EQUIVALENT_MECHANISMS[family]) mechanisms.add(m);
  return { mechanisms, used };
}

/** The verb of a recorded or received client line (IMAP: after the tag). */
export function verbOf(family: Family, text: string): string {
  const words = text.trim().split(/\s+/);
  return ((family === "imap" ? words[1] : words[0]) ?? "").toUpperCase();
}

/**
 * A group of server lines as serve sends them: capability lists keep only the mechanisms in
 * `keep`. `after` is the recorded client command the group answers (undefined for a greeting).
 */
export function offer(family: Family, group: string[], after: string | undefined, keep: Set<string>, withheld: Set<string>): string[] {
  const filter = (list: string, separator = " ") =>
    list
      .split(/\s+/)
      .filter((m) => m !== "")
      .filter((m) => {
        if (keep.has(m.toUpperCase())) return true;
        withheld.add(m.toUpperCase());
        return false;
      })
      .join(separator);
  if (family === "smtp") {
    if (after !== "EHLO" && after !== "LHLO") return group;
    const out: string[] = [];
    group.forEach((text, i) => {
      const m = /^(250[- ])AUTH([ =])(.*)$/i.exec(text);
      if (!m) return out.push(text);
      const kept = filter(m[3]!);
      if (kept) out.push(`${m[1]}AUTH${m[2]}${kept}`);
      else if (i === group.length - 1 && out.length > 0) out[out.length - 1] = out[out.length - 1]!.replace(/^250-/, "250 ");
      return undefined;
    });
    return out;
  }
  if (family === "imap") {
    const list = (caps: string) =>
      caps
        .split(/\s+/)
        .filter((c) => {
          const auth = /^AUTH=(.+)$/i.exec(c);
          if (!auth || keep.has(auth[1]!.toUpperCase())) return true;
          withheld.add(auth[1]!.toUpperCase());
          return false;
        })
        .join(" ");
    return group.map((text) => text.replace(/^(\* CAPABILITY )(.*)$/i, (_, head: string, caps: string) => `${head}${list(caps)}`).replace(/^(\S+ (?:OK|PREAUTH|BYE|NO|BAD) \[CAPABILITY )([^\]]*)\]/i, (_, head: string, caps: string) => `${head}${list(caps)}]`));
  }
  if (family === "pop3") {
    if (after !== "CAPA") return group;
    return group.flatMap((text) => {
      const m = /^SASL\b(.*)$/i.exec(text);
      if (!m) return [text];
      const kept = filter(m[1]!);
      return kept ? [`SASL ${kept}`] : [];
    });
  }
  // ManageSieve: "SASL" "PLAIN LOGIN" in the greeting and the CAPABILITY answer.
  return group.map((text) => text.replace(/^("SASL" ")([^"]*)"/i, (_, head: string, list: string) => `${head}${filter(list)}"`));
}

/** Where a reply to a capability question comes from: the recorded lines and their place. */
export interface Answer {
  lines: string[];
  /** Said in serve's output. */
  note: string;
}

interface Context {
  family: Family;
  received: string;
  tag: string;
  lines: readonly ReplayLine[];
  at: number;
  /** The connection is TLS now. */
  tls: boolean;
  keep: Set<string>;
}

/** The server lines answering the recorded client command matching `verb` nearest to `at`,
 *  in the same TLS state (searched backwards, then forwards up to the next TLS upgrade). */
function recordedReply(ctx: Context, isQuestion: (text: string) => boolean): { group: string[]; line: number; after: string } | undefined {
  const groupAt = (i: number) => {
    const group: string[] = [];
    for (let j = i + 1; ctx.lines[j]?.kind === "server"; j++) group.push((ctx.lines[j] as { text: string }).text);
    return group;
  };
  for (let i = ctx.at - 1; i >= 0; i--) {
    const line = ctx.lines[i]!;
    if (line.kind === "tls") break;
    if (line.kind === "client" && isQuestion(line.text)) return { group: groupAt(i), line: line.line, after: verbOf(ctx.family, line.text) };
  }
  for (let i = ctx.at; i < ctx.lines.length; i++) {
    const line = ctx.lines[i]!;
    if (line.kind === "tls" || line.kind === "closed") break;
    if (line.kind === "client" && isQuestion(line.text)) return { group: groupAt(i), line: line.line, after: verbOf(ctx.family, line.text) };
  }
  return undefined;
}

/** The recording upgrades to TLS later, so STLS/STARTTLS belongs in a plain answer. */
function upgradesLater(ctx: Context): boolean {
  return !ctx.tls && ctx.lines.slice(ctx.at).some((l) => l.kind === "tls");
}

/**
 * The answer to a command that changes nothing, when the recording has another command at
 * this point; undefined when the command is the recorded one or not such a command.
 */
export function harmlessAnswer(ctx: Context, expected: string): Answer | undefined {
  const { family, received, tag } = ctx;
  const command = verbOf(family, received);
  if (command === "" || command === verbOf(family, expected)) return undefined;
  const withheld = new Set<string>();
  if (command === "NOOP") {
    const lines = family === "imap" ? [`${tag} OK NOOP completed.`] : family === "pop3" ? ["+OK"] : family === "sieve" ? ['OK "NOOP completed."'] : ["250 2.0.0 Ok"];
    return { lines, note: "answered NOOP (the protocol's plain answer)" };
  }
  if (family === "smtp" && (command === "EHLO" || command === "HELO" || command === "LHLO")) {
    const found = recordedReply(ctx, (t) => /^(EHLO|LHLO)\b/i.test(t));
    let group = found ? offer(family, found.group, "EHLO", ctx.keep, withheld) : ["250 mailchat.replay"];
    if (ctx.tls) group = dropLine(group, /^250[- ]STARTTLS$/i);
    if (command === "HELO") group = [`250 ${(group[0] ?? "250 mailchat.replay").slice(4)}`];
    return { lines: group, note: `answered ${command} ${found ? `with the EHLO reply recorded at line ${found.line}` : "with a plain 250"}` };
  }
  if (family === "smtp" && command === "RSET") return { lines: ["250 2.0.0 Ok"], note: "answered RSET (the protocol's plain answer)" };
  if (family === "imap") {
    if (command === "CAPABILITY") {
      // The capabilities recorded last before this point (or first after it), as announced.
      let caps: string | undefined;
      let where = "";
      for (let i = ctx.at - 1; i >= 0 && !caps; i--) {
        const line = ctx.lines[i]!;
        if (line.kind !== "server") continue;
        caps = /^\* CAPABILITY (.*)$/i.exec(line.text)?.[1] ?? /\[CAPABILITY ([^\]]*)\]/i.exec(line.text)?.[1];
        where = `line ${line.line}`;
      }
      if (!caps) return undefined;
      let list = offer(family, [`* CAPABILITY ${caps}`], undefined, ctx.keep, withheld)[0]!;
      if (ctx.tls) list = list.replace(/ (STARTTLS|LOGINDISABLED)\b/gi, "");
      return { lines: [list, `${tag} OK Capability completed.`], note: `answered CAPABILITY from the capabilities recorded at ${where}` };
    }
    if (command === "ID") return { lines: ["* ID NIL", `${tag} OK ID completed.`], note: "answered ID (the protocol's plain answer: ID NIL)" };
    if (command === "ENABLE") return { lines: ["* ENABLED", `${tag} OK ENABLE completed.`], note: "answered ENABLE (nothing enabled)" };
    if (command === "NAMESPACE") return { lines: ['* NAMESPACE (("" "/")) NIL NIL', `${tag} OK NAMESPACE completed.`], note: "answered NAMESPACE (the protocol's plain answer)" };
  }
  if (family === "pop3" && command === "CAPA") {
    const found = recordedReply(ctx, (t) => /^CAPA\b/i.test(t)) ?? (() => {
      // Across an upgrade: the CAPA recorded before it, without STLS.
      for (let i = ctx.at - 1; i >= 0; i--) {
        const line = ctx.lines[i]!;
        if (line.kind === "client" && /^CAPA\b/i.test(line.text)) {
          const group: string[] = [];
          for (let j = i + 1; ctx.lines[j]?.kind === "server"; j++) group.push((ctx.lines[j] as { text: string }).text);
          return { group, line: line.line, after: "CAPA" };
        }
      }
      return undefined;
    })();
    let group: string[];
    let note: string;
    if (found && /^\+OK/i.test(found.group[0] ?? "")) {
      group = offer(family, found.group, "CAPA", ctx.keep, withheld);
      note = `answered CAPA from the CAPA reply recorded at line ${found.line}`;
    } else {
      group = ["+OK Capability list follows", "USER"];
      if (ctx.keep.size > 0) group.push(`SASL ${[...ctx.keep].join(" ")}`);
      note = "answered CAPA with a plain list (the recording has none)";
    }
    if (ctx.tls) group = group.filter((l) => !/^STLS$/i.test(l));
    else if (upgradesLater(ctx) && !group.some((l) => /^STLS$/i.test(l))) group.push("STLS");
    return { lines: [...group, "."], note };
  }
  return undefined;
}

function dropLine(group: string[], pattern: RegExp): string[] {
  const at = group.findIndex((l) => pattern.test(l));
  if (at < 0) return group;
  const out = group.filter((_, i) => i !== at);
  if (at === group.length - 1 && out.length > 0) out[out.length - 1] = out[out.length - 1]!.replace(/^(\d{3})-/, "$1 ");
  return out;
}
