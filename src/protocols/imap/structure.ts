// IMAP responses as values, and the structural comparison imaptest makes (`expect OK untagged
// "* 1 FETCH (UID $uid FLAGS (\Seen))"`): atoms compare without regard to case, a quoted
// string equals a literal of the same text, FETCH items match in any order (extra items
// allowed), flag lists match as sets, `$name` binds a value the first time and must equal it
// after, and the text after a response's data is free.
import { escapeRegex } from "../../regex-escape.js";

export type ImapValue =
  | { kind: "atom"; text: string }
  | { kind: "string"; text: string }
  | { kind: "nil" }
  | { kind: "list"; items: ImapValue[]; bracket?: boolean };

/** Lists nested deeper than this are read as one atom: a hostile server's `((((…` must not
 *  exhaust the stack. Real responses (BODYSTRUCTURE of a deep MIME tree) stay far below. */
const MAX_DEPTH = 64;

/** Parses one response line (a literal's `{n}` CRLF and bytes inline) into values. */
export function parseResponse(line: string): ImapValue[] {
  let at = 0;
  let nesting = 0;
  const skipSpaces = () => {
    while (line[at] === " ") at += 1;
  };
  const value = (): ImapValue | undefined => {
    skipSpaces();
    const ch = line[at];
    if (ch === undefined || ch === ")" || ch === "]") return undefined;
    // A list, or a response code `[UIDVALIDITY 3857529045]` read as one.
    if ((ch === "(" || ch === "[") && nesting >= MAX_DEPTH) {
      const rest = line.slice(at);
      at = line.length;
      return { kind: "atom", text: rest };
    }
    if (ch === "(" || ch === "[") {
      const close = ch === "(" ? ")" : "]";
      at += 1;
      nesting += 1;
      const items: ImapValue[] = [];
      for (;;) {
        skipSpaces();
        if (line[at] === close || at >= line.length) {
          at += 1;
          nesting -= 1;
          return close === "]" ? { kind: "list", items, bracket: true } : { kind: "list", items };
        }
        const item = value();
        if (!item) {
          at += 1;
          nesting -= 1;
          return { kind: "list", items };
        }
        items.push(item);
      }
    }
    if (ch === '"') {
      let text = "";
      at += 1;
      while (at < line.length && line[at] !== '"') {
        if (line[at] === "\\" && at + 1 < line.length) at += 1;
        text += line[at];
        at += 1;
      }
      at += 1;
      return { kind: "string", text };
    }
    const literal = /^~?\{(\d+)\+?\}\r\n/.exec(line.slice(at));
    if (literal) {
      at += literal[0].length;
      const text = line.slice(at, at + Number(literal[1]));
      at += text.length;
      return { kind: "string", text };
    }
    // An atom; a `[` … `]` section inside it (BODY[HEADER.FIELDS (FROM)]) may hold spaces.
    let text = "";
    let depth = 0;
    while (at < line.length) {
      const c = line[at]!;
      if (depth === 0 && (c === " " || c === "(" || c === ")" || c === "]")) break;
      if (c === "[") depth += 1;
      else if (c === "]") depth = Math.max(0, depth - 1);
      text += c;
      at += 1;
    }
    return text.toUpperCase() === "NIL" ? { kind: "nil" } : { kind: "atom", text };
  };
  const values: ImapValue[] = [];
  for (;;) {
    const next = value();
    if (!next) {
      if (line[at] === ")") {
        at += 1;
        continue;
      }
      return values;
    }
    values.push(next);
  }
}

export function showValue(value: ImapValue): string {
  switch (value.kind) {
    case "atom":
      return value.text;
    case "string":
      return JSON.stringify(value.text);
    case "nil":
      return "NIL";
    case "list":
      return value.bracket ? `[${value.items.map(showValue).join(" ")}]` : `(${value.items.map(showValue).join(" ")})`;
  }
}

/** A value's text for a variable: an atom or string as it is, a list as written. */
function asText(value: ImapValue): string {
  return value.kind === "atom" || value.kind === "string" ? value.text : showValue(value);
}

const VARIABLE = /^\$(\w+)$/;
/** `$name` inside an atom (`$uid1:$uid3`), not `$$`. */
const EMBEDDED = /(?<!\$)\$(\w+)/g;

export interface Bindings {
  /** Values bound earlier in the run (captured by earlier steps). */
  known(name: string): string | undefined;
  /** Values bound by this comparison so far; filled as variables bind. */
  bound: Record<string, string>;
}

function isFlagList(items: ImapValue[]): boolean {
  return items.every((item) => item.kind === "atom" && /^(?:\\\*?\w*|\$?[\w$-]+)$/.test(item.text));
}

/** Whether `actual` has the shape and values `expected` says; binds `$name` variables. */
function matchValue(expected: ImapValue, actual: ImapValue | undefined, bindings: Bindings, key?: string): boolean {
  if (!actual) return false;
  if (expected.kind === "atom") {
    // `$$hello` is the keyword `$hello`, as imaptest writes it.
    if (expected.text.startsWith("$$")) return actual.kind === "atom" && actual.text.toUpperCase() === expected.text.slice(1).toUpperCase();
    const variable = VARIABLE.exec(expected.text);
    if (variable) {
      const name = variable[1]!;
      const value = asText(actual);
      const earlier = bindings.bound[name] ?? bindings.known(name);
      if (earlier !== undefined) return earlier === value;
      bindings.bound[name] = value;
      return true;
    }
    // Values inside an atom: `$uid1:$uid3` against `4:6`.
    if (/(?<!\$)\$\w/.test(expected.text) && actual.kind === "atom") return matchEmbedded(expected.text, actual.text, bindings);
    if (actual.kind === "atom") return actual.text.toUpperCase() === expected.text.toUpperCase();
    // An atom written in the test equals a string of the same text (imaptest's own rule).
    return actual.kind === "string" && actual.text === expected.text;
  }
  if (expected.kind === "nil") return actual.kind === "nil";
  if (expected.kind === "string") return (actual.kind === "string" || actual.kind === "atom") && actual.text === expected.text;
  // A response code `[…]` is not a parenthesised list, and the other way round.
  if (actual.kind !== "list" || Boolean(expected.bracket) !== Boolean(actual.bracket)) return false;
  // FLAGS (…), PERMANENTFLAGS (…): the same set, in any order.
  if (key && /^(?:FLAGS|PERMANENTFLAGS)$/i.test(key) && isFlagList(expected.items) && isFlagList(actual.items)) {
    const want = new Set(expected.items.map((i) => (i as { text: string }).text.replace(/^\$\$/, "$").toUpperCase()));
    const got = new Set(actual.items.map((i) => (i as { text: string }).text.toUpperCase()));
    // \Recent is the session's, not the message's: compared only when the pattern names it.
    if (!want.has("\\RECENT")) got.delete("\\RECENT");
    return want.size === got.size && [...want].every((flag) => got.has(flag));
  }
  // The item list of a FETCH or STATUS: KEY VALUE pairs, in any order, extra ones allowed.
  if (key && /^(?:FETCH|STATUS)$/i.test(key)) return matchPairs(expected.items, actual.items, bindings);
  if (expected.items.length !== actual.items.length) return false;
  return expected.items.every((item, i) => matchValue(item, actual.items[i], bindings, precedingAtom(expected.items, i)));
}

function matchEmbedded(pattern: string, text: string, bindings: Bindings): boolean {
  const names: string[] = [];
  let source = "";
  let last = 0;
  for (const m of pattern.matchAll(EMBEDDED)) {
    source += escapeRegex(pattern.slice(last, m.index).replace(/\$\$/g, "$"));
    const name = m[1]!;
    const known = bindings.bound[name] ?? bindings.known(name);
    if (known !== undefined) source += escapeRegex(known);
    else if (names.includes(name)) source += `\\k<v_${name}>`;
    else {
      names.push(name);
      source += `(?<v_${name}>[^\\s:,()\\[\\]]+)`;
    }
    last = m.index! + m[0].length;
  }
  source += escapeRegex(pattern.slice(last).replace(/\$\$/g, "$"));
  // Linear: no quantified group, the atom is one short token.
  const match = new RegExp(`^${source}$`, "i").exec(text);
  if (!match) return false;
  for (const name of names) bindings.bound[name] = match.groups![`v_${name}`]!;
  return true;
}

function precedingAtom(items: ImapValue[], index: number): string | undefined {
  const before = items[index - 1];
  return before?.kind === "atom" ? before.text : undefined;
}

function matchPairs(expected: ImapValue[], actual: ImapValue[], bindings: Bindings): boolean {
  for (let i = 0; i + 1 < expected.length; i += 2) {
    const name = expected[i]!;
    if (name.kind !== "atom") return false;
    let found = false;
    for (let j = 0; j + 1 < actual.length; j += 2) {
      const candidate = actual[j]!;
      if (candidate.kind !== "atom" || candidate.text.toUpperCase() !== name.text.toUpperCase()) continue;
      const trial: Bindings = { known: bindings.known, bound: { ...bindings.bound } };
      if (matchValue(expected[i + 1]!, actual[j + 1], trial, name.text)) {
        Object.assign(bindings.bound, trial.bound);
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/** Whether a response line matches a pattern line (both parsed); the pattern may stop early. */
export function matchResponse(pattern: ImapValue[], response: ImapValue[], bindings: Bindings): boolean {
  if (response.length < pattern.length) return false;
  const trial: Bindings = { known: bindings.known, bound: { ...bindings.bound } };
  // `* 1 FETCH (…)`, `* STATUS box (…)`: the response's name says how its list compares.
  const type = pattern.slice(1).find((v) => v.kind === "atom" && !/^\d+$/.test(v.text) && !VARIABLE.test(v.text));
  const typeName = type?.kind === "atom" && /^(?:FETCH|STATUS)$/i.test(type.text) ? type.text : undefined;
  const ok = pattern.every((value, i) => matchValue(value, response[i], trial, value.kind === "list" && typeName ? typeName : precedingAtom(pattern, i)));
  if (ok) Object.assign(bindings.bound, trial.bound);
  return ok;
}

/** The first untagged line of a reply that matches the pattern, with what it bound. */
export function findUntagged(patternText: string, lines: readonly string[], bindings: Bindings): string | undefined {
  const pattern = parseResponse(/^\*\s/.test(patternText) ? patternText : `* ${patternText}`);
  for (const line of lines) {
    if (!line.startsWith("* ")) continue;
    if (matchResponse(pattern, parseResponse(line), bindings)) return line;
  }
  return undefined;
}
