// SASL responses against the RFCs' own test vectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cramMd5Response, decodeLoginChallenge, loginResponses, plainResponse, secretWireForms, xoauth2Response } from "../../src/sasl/index.js";
import { SecretBook } from "../../src/secrets/book.js";

test("PLAIN: RFC 4616 §4 example", () => {
  assert.equal(plainResponse("tim", "tanstaaftanstaaf"), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  assert.equal(Buffer.from(plainResponse("Kurt", "xipj3plmq", "Ursel"), "base64").toString(), "Ursel\0Kurt\0xipj3plmq");
});

test("LOGIN: the prompts decode, the answers are base64", () => {
  assert.equal(decodeLoginChallenge("VXNlcm5hbWU6"), "Username:");
  assert.equal(decodeLoginChallenge("UGFzc3dvcmQ6"), "Password:");
  assert.deepEqual(loginResponses("tim", "tanstaaf"), ["dGlt", "dGFuc3RhYWY="]);
});

test("CRAM-MD5: RFC 2195 §2 example", () => {
  const challenge = Buffer.from("<1896.697170952@postoffice.reston.mci.net>").toString("base64");
  const response = cramMd5Response(challenge, "tim", "tanstaaftanstaaf");
  assert.equal(Buffer.from(response, "base64").toString(), "tim b913a602c7eda7a495b4e6e7334d3890");
  assert.equal(response, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
});

test("XOAUTH2: user, bearer token and the two ^A", () => {
  assert.equal(Buffer.from(xoauth2Response("someuser@example.com", "ya29.vF9dft4"), "base64").toString(), "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01");
});

test("the secret book masks the secret in every wire form mailchat computes", () => {
  const book = new SecretBook();
  book.add("s3cret!");
  for (const form of secretWireForms("alice", "s3cret!")) book.addExact(form);
  const redact = (text: string) => book.redact(text);
  for (const form of [
    "s3cret!",
    Buffer.from("s3cret!").toString("base64"),
    plainResponse("alice", "s3cret!"),
    xoauth2Response("alice", "s3cret!"),
  ]) {
    assert.equal(redact(`C: AUTH PLAIN ${form}`), "C: AUTH PLAIN ********");
  }
});
