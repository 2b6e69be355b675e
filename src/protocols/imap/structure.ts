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

/** A literal's announcement (`{n}`, `{n+}`, BINARY's `~{n}`) and the line end before its bytes. */
const LITERAL = /~?\{(\d+)\+?\}\r?\n/y;

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
    LITERAL.lastIndex = at;
    const literal = LITERAL.exec(line);
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

/**
 * Equal texts: the response is read as bytes (one character a byte), the pattern as the
 * script wrote it; they are equal as bytes (`\xe4` in the pattern is the byte E4) or once
 * the response's bytes are read as UTF-8 (`ä` in the pattern).
 */
function sameText(expected: string, actual: string, anyCase: boolean): boolean {
  const fold = (text: string) => (anyCase ? text.toUpperCase() : text);
  if (fold(expected) === fold(actual)) return true;
  if (!/[\x80-\xff]/.test(actual)) return false;
  return fold(expected) === fold(Buffer.from(actual, "latin1").toString("utf8"));
}

/**
 * How a list compares, after imaptest's `$!` directives: in order and item by item, or
 * `unordered` (chains of `chain` items found anywhere, extra items allowed unless `noextra`;
 * `ignore` names extras that are allowed all the same, `ban` extras that are not).
 */
interface ListRule {
  unordered: boolean;
  chain: number;
  noextra: boolean;
  ignore: string[];
  ban: string[];
}

const ORDERED: ListRule = { unordered: false, chain: 1, noextra: true, ignore: [], ban: [] };
const UNORDERED: ListRule = { ...ORDERED, unordered: true, noextra: false };
const PAIRS: ListRule = { ...UNORDERED, chain: 2 };
/** A message's flags: the same set; `\Recent` is the session's, compared only when named
 *  (and Dovecot's attachment keywords, as imaptest allows them). */
const FLAG_SET: ListRule = { ...ORDERED, unordered: true, ignore: ["\\RECENT", "$HASATTACHMENT", "$HASNOATTACHMENT"] };

/** Where a list stands: the response's name, how deep, its place and the atom before it. */
interface Place {
  response: string;
  depth: number;
  index: number;
  before?: string;
  /** Inside BODY, BODYSTRUCTURE or CHILDINFO: MIME types and parameters (RFC 2045 §5.1) and
   *  LIST-EXTENDED option names (RFC 5258 §3) are case-insensitive. */
  anyCase: boolean;
}

/** imaptest's defaults where a list has no `$!` directive of its own. */
function defaultRule(place: Place): ListRule {
  const before = place.before?.toUpperCase();
  if (before === "FLAGS" || before === "PERMANENTFLAGS") return FLAG_SET;
  if (place.depth === 0 && (place.response === "LIST" || place.response === "LSUB") && place.index === 1) return UNORDERED;
  if (place.depth === 0 && (place.response === "FETCH" || place.response === "STATUS") && place.index === 2) return PAIRS;
  return ORDERED;
}

/** The `$!` directives leading a list, if any, and the items after them. */
function directives(items: ImapValue[]): { rule?: ListRule; items: ImapValue[] } {
  let at = 0;
  let unordered = false;
  let chain = 1;
  let noextra: boolean | undefined;
  const ignore: string[] = [];
  const ban: string[] = [];
  for (; at < items.length; at++) {
    const item = items[at]!;
    if (item.kind !== "atom" || !item.text.startsWith("$!")) break;
    const directive = item.text.slice(2);
    const lower = directive.toLowerCase();
    if (lower.startsWith("unordered")) {
      unordered = true;
      noextra ??= false;
      if (lower[9] === "=") chain = Math.max(1, Number(lower.slice(10)) || 1);
    } else if (lower === "ordered") unordered = false;
    else if (lower === "extra") noextra = false;
    else if (lower === "noextra") noextra = true;
    else if (lower.startsWith("ignore=")) ignore.push(directive.slice(7).toUpperCase());
    else if (lower.startsWith("ban=")) ban.push(directive.slice(4).toUpperCase());
  }
  if (at === 0) return { items };
  return { rule: { unordered, chain, noextra: noextra ?? true, ignore, ban }, items: items.slice(at) };
}

/** Whether `actual` has the shape and values `expected` says; binds `$name` variables. */
function matchValue(expected: ImapValue, actual: ImapValue | undefined, bindings: Bindings, place: Place): boolean {
  if (!actual) return false;
  if (expected.kind === "atom") {
    // `$` alone stands for any one value, a list included (imaptest's own wildcard).
    if (expected.text === "$") return true;
    // `$$hello` is the keyword `$hello`, as imaptest writes it.
    if (expected.text.startsWith("$$")) return actual.kind === "atom" && actual.text.toUpperCase() === expected.text.slice(1).toUpperCase();
    const variable = VARIABLE.exec(expected.text);
    if (variable) {
      const name = variable[1]!;
      const value = asText(actual);
      const earlier = bindings.bound[name] ?? bindings.known(name);
      if (earlier !== undefined) return sameText(earlier, value, false) || sameText(value, earlier, false);
      bindings.bound[name] = value;
      return true;
    }
    // Values inside an atom: `$uid1:$uid3` against `4:6`.
    if (/(?<!\$)\$\w/.test(expected.text) && actual.kind === "atom") return matchEmbedded(expected.text, actual.text, bindings);
    if (actual.kind === "atom") return actual.text.toUpperCase() === expected.text.toUpperCase();
    // An atom written in the test equals a string of the same text (imaptest's own rule).
    return actual.kind === "string" && sameText(expected.text, actual.text, place.anyCase);
  }
  if (expected.kind === "nil") return actual.kind === "nil";
  if (expected.kind === "string") return (actual.kind === "string" || actual.kind === "atom") && sameText(expected.text, actual.text, place.anyCase);
  // A response code `[…]` is not a parenthesised list, and the other way round.
  if (actual.kind !== "list" || Boolean(expected.bracket) !== Boolean(actual.bracket)) return false;
  const { rule, items } = directives(expected.items);
  return matchList(items, actual.items, rule ?? defaultRule(place), bindings, place);
}

function matchList(expected: ImapValue[], actual: ImapValue[], rule: ListRule, bindings: Bindings, parent: Place): boolean {
  const before = parent.before?.toUpperCase();
  const anyCase = parent.anyCase || before === "BODY" || before === "BODYSTRUCTURE" || before === "BODYPARTSTRUCTURE" || before === "CHILDINFO";
  const place = (items: ImapValue[], index: number): Place => {
    const preceding = items[index - 1];
    const child: Place = { response: parent.response, depth: parent.depth + 1, index, anyCase };
    if (preceding?.kind === "atom") child.before = preceding.text;
    return child;
  };
  if (!rule.unordered) {
    if (expected.length !== actual.length) return false;
    return expected.every((item, i) => matchValue(item, actual[i], bindings, place(expected, i)));
  }
  const chain = rule.chain;
  if (actual.length % chain !== 0) return false;
  const matched = new Set<number>();
  for (let i = 0; i < expected.length; i += chain) {
    let found = false;
    for (let j = 0; j < actual.length && !found; j += chain) {
      const trial: Bindings = { known: bindings.known, bound: { ...bindings.bound } };
      let ok = true;
      for (let k = 0; k < chain && ok; k++) ok = matchValue(expected[i + k]!, actual[j + k], trial, place(expected, i + k));
      if (!ok) continue;
      Object.assign(bindings.bound, trial.bound);
      matched.add(j);
      found = true;
    }
    if (!found) return false;
  }
  // Extra items: imaptest judges only atoms and strings among them.
  for (let j = 0; j < actual.length; j += chain) {
    const extra = actual[j]!;
    if (matched.has(j) || (extra.kind !== "atom" && extra.kind !== "string")) continue;
    const text = extra.text.toUpperCase();
    if (rule.noextra && !rule.ignore.includes(text)) return false;
    if (!rule.noextra && rule.ban.includes(text)) return false;
  }
  return true;
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

/** Whether a response line matches a pattern line (both parsed); the pattern may stop early. */
export function matchResponse(pattern: ImapValue[], response: ImapValue[], bindings: Bindings): boolean {
  if (response.length < pattern.length) return false;
  const trial: Bindings = { known: bindings.known, bound: { ...bindings.bound } };
  // `* 1 FETCH (…)`, `* STATUS box (…)`, `* LIST (…)`: the response's name says how its lists compare.
  const type = pattern.slice(1).find((v) => v.kind === "atom" && !/^\d+$/.test(v.text) && !VARIABLE.test(v.text));
  const name = type?.kind === "atom" ? type.text.toUpperCase() : "";
  const ok = pattern.every((value, i) => {
    // Places count from the response's first word, after the `*` (as imaptest counts them).
    const place: Place = { response: name, depth: 0, index: i - 1, anyCase: false };
    const before = pattern[i - 1];
    if (before?.kind === "atom") place.before = before.text;
    return matchValue(value, response[i], trial, place);
  });
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
