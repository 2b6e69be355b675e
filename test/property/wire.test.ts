// What goes on the wire and what comes off it: `data` bodies are CRLF-only, dot-stuffed and
// end once, canonically; the framers turn any bytes into replies or a located framing error.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { findUntagged, parseResponse } from "../../src/protocols/imap/structure.js";
import { ImapFramer } from "../../src/protocols/imap/index.js";
import { Pop3Framer } from "../../src/protocols/pop3.js";
import { DataEncoder, SmtpFramer, encodeData } from "../../src/protocols/smtp.js";
import { FramingError } from "../../src/protocols/types.js";
import { escapeBytes, unescapeBytes } from "../../src/transcript/escape.js";
import { check, RUNS, SEED } from "./fuzz.js";

const bodyLine = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(".", "..", ". x", ".\t", "", "From x", "\u00e9\u202e"), fc.stringMatching(/^\.*[^\r\n]{0,8}$/)).map((line) => line.replace(/[\r\n]/g, ""));

test(`data bodies are CRLF-only, dot-stuffed, with one canonical end (${RUNS} bodies, seed ${SEED})`, () => {
  check(
    fc.property(fc.array(bodyLine, { maxLength: 30 }), (lines) => {
      const wire = encodeData(lines);
      assert.ok(wire.endsWith("\r\n.\r\n") || (lines.length === 0 && wire === ".\r\n"));
      assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(wire), "a bare CR or LF");
      const sent = wire.slice(0, -".\r\n".length).split("\r\n").slice(0, -1);
      assert.equal(sent.length, lines.length);
      // The end of data appears once: no body line is a lone dot after stuffing.
      assert.ok(sent.every((line) => line !== "."));
      assert.deepEqual(sent.map((line) => (line.startsWith(".") ? line.slice(1) : line)), lines);
    }),
  );
});

test(`data file and bdat file: the streaming encoder gives what encodeData gives for the same lines (bdat: CRLF line ends alone), however the file is chunked (seed ${SEED})`, () => {
  check(
    fc.property(fc.array(fc.tuple(bodyLine, fc.constantFrom("\n", "\r\n", "\r")), { maxLength: 20 }), fc.boolean(), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }), fc.boolean(), (ended, finalEol, sizes, bdat) => {
      // Each line its own line end, as a file edited on several systems has them.
      const text = ended.map(([line, eol], i) => (i < ended.length - 1 || finalEol ? line + eol : line)).join("");
      const file = Buffer.from(text, "latin1");
      const encoder = new DataEncoder(!bdat);
      const parts: Buffer[] = [];
      for (let offset = 0, i = 0; offset < file.length; i += 1) {
        const size = sizes[i % sizes.length]!;
        parts.push(...encoder.push(file.subarray(offset, offset + size)));
        offset += size;
      }
      parts.push(encoder.end());
      // A file of no lines is an empty message; lines are what readline would have read.
      const read = file.toString("latin1").split(/\r\n|\n|\r/);
      if (read[read.length - 1] === "") read.pop();
      // BDAT (RFC 3030 §3): no dot-stuffing, no end-of-data line, the last line as it ends.
      const expected = bdat ? file.toString("latin1").replace(/\r\n|\n|\r/g, "\r\n") : encodeData(read);
      assert.equal(Buffer.concat(parts).toString("latin1"), expected);
    }),
    Math.ceil(RUNS / 5),
  );
});

const SERVER_PIECES = ["250-", "250 ", "220 x\r\n", "\r\n", "\n", "\r", "+OK", "-ERR", ".", "..", "* ", "A1 OK", "A1 ", "{5}\r\n", "{0}\r\n", "{99999999999}\r\n", "+ ", "x", "\x00", "\xff", "\x1b[2K", "* BYE\r\n", "334 VXNlcm5hbWU6\r\n", "550-", "NOOP BAD"];
const serverBytes = fc.array(fc.oneof(fc.constantFrom(...SERVER_PIECES), fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString("latin1"))), { maxLength: 40 }).map((pieces) => Buffer.from(pieces.join(""), "latin1"));
const chunking = fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 8 });

test(`every framer ends any server bytes in replies or a framing error (${Math.ceil(RUNS / 5)} streams, seed ${SEED})`, () => {
  check(
    fc.property(serverBytes, chunking, fc.boolean(), (bytes, sizes, greeting) => {
      const framers = [new SmtpFramer(), new Pop3Framer(greeting), new ImapFramer(greeting)];
      (framers[1] as Pop3Framer).sent("RETR 1");
      (framers[2] as ImapFramer).sent("A1 NOOP");
      for (const framer of framers) {
        let offset = 0;
        let i = 0;
        try {
          while (offset < bytes.length) {
            const size = sizes[i++ % sizes.length]!;
            for (const reply of framer.push(bytes.subarray(offset, offset + size))) {
              assert.equal(reply.raw.length, reply.lines.length);
              assert.ok(reply.bytes > 0);
            }
            offset += size;
          }
          framer.pending();
          framer.discard();
        } catch (error) {
          assert.ok(error instanceof FramingError, `${(error as Error).message}`);
          assert.ok(error.message.length > 0 && Buffer.isBuffer(error.received));
        }
      }
    }),
    Math.ceil(RUNS / 5),
  );
});

test(`the transcript escaping round-trips any bytes and shows no control character (seed ${SEED})`, () => {
  check(
    fc.property(fc.uint8Array({ maxLength: 64 }), (array) => {
      const bytes = Buffer.from(array);
      const shown = escapeBytes(bytes);
      assert.deepEqual(unescapeBytes(shown), bytes);
      assert.ok(!/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(shown), JSON.stringify(shown));
    }),
  );
});

test("the IMAP structure reader is total: any line parses, any pattern compares, nothing throws", () => {
  const piece = fc.oneof(fc.constantFrom("(", ")", "[", "]", '"', "\\", "{3}\r\nabc", "{9}\r\n", "NIL", "FETCH", "$x", "$$k", "$a:$b", "\\Seen", " ", "*", "1"), fc.string({ maxLength: 4 }));
  const line = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(""));
  check(
    fc.property(line, line, (pattern, response) => {
      parseResponse(response);
      const bindings = { known: () => undefined, bound: {} as Record<string, string> };
      findUntagged(pattern, [`* ${response}`, response], bindings);
    }),
  );
});
