// The signature algorithm read from a certificate's DER names what OpenSSL names, for
// certificates openssl makes now with each kind of key; anything else is not taken for one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signatureAlgorithmName } from "../../src/runtime/chain.js";
import { signatureAlgorithmOid } from "../../src/runtime/der.js";

const KEYS: Array<[string, string[], string]> = [
  ["RSA, SHA-384", ["-newkey", "rsa:2048", "-sha384"], "sha384WithRSAEncryption"],
  ["EC P-384, SHA-384", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-sha384"], "ecdsa-with-SHA384"],
  ["EC P-256, SHA-256", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha256"], "ecdsa-with-SHA256"],
  ["Ed25519", ["-newkey", "ed25519"], "ED25519"],
];

for (const [name, args, expected] of KEYS) {
  test(`signature algorithm of a self-signed ${name} certificate`, () => {
    const dir = mkdtempSync(join(tmpdir(), "mailchat-der-"));
    try {
      const pem = execFileSync("openssl", ["req", "-x509", ...args, "-nodes", "-keyout", join(dir, "k.pem"), "-subj", "/CN=der.test", "-days", "1"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      const text = execFileSync("openssl", ["x509", "-noout", "-text"], { input: pem, encoding: "utf8" });
      const openssl = /Signature Algorithm: (\S+)/.exec(text)![1]!;
      const name = signatureAlgorithmName(signatureAlgorithmOid(new X509Certificate(pem).raw)!);
      assert.equal(name, expected);
      assert.equal(name.toLowerCase(), openssl.toLowerCase());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("DER that is not a certificate gives no algorithm", () => {
  assert.equal(signatureAlgorithmOid(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])), undefined);
  assert.equal(signatureAlgorithmOid(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), undefined);
  assert.equal(signatureAlgorithmOid(Buffer.alloc(0)), undefined);
});
