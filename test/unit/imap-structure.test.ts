// `untagged "…"`: IMAP responses compared by structure, as Dovecot's imaptest compares them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findUntagged, parseResponse, showValue, type Bindings } from "../../src/protocols/imap/structure.js";

const fresh = (known: Record<string, string> = {}): Bindings => ({ known: (name) => known[name], bound: {} });
const matches = (pattern: string, line: string, bindings = fresh()) => findUntagged(pattern, [line], bindings) !== undefined;

test("a response parses into atoms, strings, NIL, lists, response codes and inline literals", () => {
  const values = parseResponse('* 1 FETCH (UID 5 FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM TO)] {5}\r\nabcde ENVELOPE (NIL "x y") X [UIDNEXT 4])');
  assert.equal(values.map(showValue).join(" "), '* 1 FETCH (UID 5 FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM TO)] "abcde" ENVELOPE (NIL "x y") X [UIDNEXT 4])');
});

test("atoms compare without regard to case; the text after the data is free", () => {
  assert.ok(matches("* ok [unseen 1]", "* OK [UNSEEN 1] First unseen."));
  assert.ok(!matches("* ok [unseen 2]", "* OK [UNSEEN 1] First unseen."));
  assert.ok(!matches("* ok [unseen 1]", "* OK (UNSEEN 1) First unseen."));
  assert.ok(matches("bye", "* BYE Logging out"));
});

test("FETCH and STATUS items match in any order, and the server may send more", () => {
  assert.ok(matches("* 1 fetch (flags (\\seen) uid 5)", "* 1 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (3))"));
  assert.ok(matches("* status box (messages 2 unseen 1)", "* STATUS box (MESSAGES 2 RECENT 0 UNSEEN 1)"));
  assert.ok(!matches("* status box (messages 3)", "* STATUS box (MESSAGES 2 RECENT 0 UNSEEN 1)"));
});

test("flag lists compare as sets; \\Recent counts only when named", () => {
  assert.ok(matches("* 1 fetch (flags (\\flagged \\seen))", "* 1 FETCH (FLAGS (\\Seen \\Flagged \\Recent))"));
  assert.ok(!matches("* 1 fetch (flags (\\seen))", "* 1 FETCH (FLAGS (\\Seen \\Flagged))"));
  assert.ok(!matches("* 1 fetch (flags (\\seen \\recent))", "* 1 FETCH (FLAGS (\\Seen))"));
  assert.ok(matches("* 1 fetch (flags ($$hello \\seen))", "* 1 FETCH (FLAGS (\\Seen $hello))"));
});

test("$name binds once and must be equal after, across lines and inside atoms", () => {
  const bindings = fresh();
  assert.equal(findUntagged("* $n expunge", ["* 3 EXPUNGE"], bindings), "* 3 EXPUNGE");
  assert.deepEqual(bindings.bound, { n: "3" });
  assert.ok(!matches("* $n expunge", "* 4 EXPUNGE", bindings));
  assert.ok(matches("* search $a:$b", "* SEARCH 4:6", bindings));
  assert.deepEqual(bindings.bound, { n: "3", a: "4", b: "6" });
  assert.ok(matches("* esearch (tag $tag) all 1:3", '* ESEARCH (TAG "A7") ALL 1:3', fresh({ tag: "A7" })));
  assert.ok(!matches("* esearch (tag $tag) all 1:3", '* ESEARCH (TAG "A6") ALL 1:3', fresh({ tag: "A7" })));
});

test("a quoted string equals a literal of the same text; other lists compare item by item", () => {
  assert.ok(matches('* 1 fetch (body[] "hello")', "* 1 FETCH (BODY[] {5}\r\nhello)"));
  assert.ok(!matches("* list () $sep inbox", '* LIST (\\Noselect) "/" INBOX'));
  const bindings = fresh();
  assert.ok(matches("* list (\\noselect) $sep $root", '* LIST (\\Noselect) "/" ""', bindings));
  assert.deepEqual(bindings.bound, { sep: "/", root: "" });
});

test("a hostile nesting of lists is read without exhausting the stack", () => {
  const line = `* 1 FETCH ${"(".repeat(200_000)}`;
  assert.doesNotThrow(() => parseResponse(line));
  assert.equal(findUntagged("* 1 FETCH (UID 1)", [line], fresh()), undefined);
});
