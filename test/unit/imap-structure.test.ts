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
  assert.ok(matches('* 1 fetch (body[] "a\r\nb")', "* 1 FETCH (BODY[] {4}\r\na\r\nb)"));
  assert.ok(!matches('* 1 fetch (body[] "Hello")', "* 1 FETCH (BODY[] {5}\r\nhello)"));
  assert.ok(!matches("* search 1 2", "* SEARCH 2 1"));
  const bindings = fresh();
  assert.ok(matches("* list (\\noselect) $sep $root", '* LIST (\\Noselect) "/" ""', bindings));
  assert.deepEqual(bindings.bound, { sep: "/", root: "" });
});

test("as imaptest: LIST attributes are a set the server may add to; `$` is any one value", () => {
  assert.ok(matches("* list () $sep inbox", '* LIST (\\Noselect) "/" INBOX'));
  assert.ok(!matches("* list (\\subscribed) $sep inbox", '* LIST (\\Noselect) "/" INBOX'));
  assert.ok(matches("* 1 fetch (flags () envelope $ body $)", '* 1 FETCH (FLAGS () ENVELOPE (NIL "s" NIL) BODY ("text" "plain"))'));
});

test("$! directives: unordered lists, extras banned or ignored, pairs", () => {
  assert.ok(!matches("* list ($!unordered $!ban=\\noselect \\subscribed) $sep x", '* LIST (\\Subscribed \\Noselect) "/" x'));
  assert.ok(matches("* list ($!unordered $!ban=\\noselect \\subscribed) $sep x", '* LIST (\\Subscribed \\NonExistent) "/" x'));
  assert.ok(!matches("* x ($!unordered $!noextra a b)", "* X (B A C)"));
  assert.ok(matches("* x ($!unordered $!noextra $!ignore=c a b)", "* X (B A C)"));
  assert.ok(matches("* x ($!unordered=2 k2 v2)", "* X (K1 V1 K2 V2)"));
  assert.ok(!matches("* x ($!unordered=2 k2 v1)", "* X (K1 V1 K2 V2)"));
});

test("a flag list may hold NIL (a keyword named so); MIME values compare without regard to case", () => {
  assert.ok(matches("* 1 fetch (flags (NIL))", "* 1 FETCH (FLAGS (\\Recent NIL))"));
  assert.ok(matches('* 1 fetch (bodystructure ("text" "x-MYOWN" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL))', '* 1 FETCH (BODYSTRUCTURE ("text" "x-myown" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL))'));
  assert.ok(matches('* list () "." box (childinfo ("subscribed"))', '* LIST () "." box (CHILDINFO ("SUBSCRIBED"))'));
  assert.ok(!matches('* list () "." Box', '* LIST () "." "box"'));
});

test("a response's bytes compare as bytes, or as UTF-8 text", () => {
  const binary = Buffer.from([0x2a, 0x20, 0x31, 0x20, 0x46, 0x45, 0x54, 0x43, 0x48, 0x20, 0x28, 0x42, 0x49, 0x4e, 0x41, 0x52, 0x59, 0x5b, 0x31, 0x5d, 0x20, 0x7e, 0x7b, 0x33, 0x7d, 0x0d, 0x0a, 0x00, 0xe4, 0x0a, 0x29]).toString("latin1");
  assert.ok(matches('* 1 fetch (binary[1] "\x00\xe4\n")', binary));
  assert.ok(matches('* list () "/" "Grüße"', Buffer.from('* LIST () "/" "Grüße"', "utf8").toString("latin1")));
});

test("a hostile nesting of lists is read without exhausting the stack", () => {
  const line = `* 1 FETCH ${"(".repeat(200_000)}`;
  assert.doesNotThrow(() => parseResponse(line));
  assert.equal(findUntagged("* 1 FETCH (UID 1)", [line], fresh()), undefined);
});
