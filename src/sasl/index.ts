// SASL responses (RFC 4616 PLAIN, the LOGIN draft, RFC 2195 CRAM-MD5, Google's XOAUTH2) and
// the forms a secret takes on the wire, so that every one of them can be redacted.
import { crypto } from "../builtins.js";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** RFC 4616 §2: `authzid NUL authcid NUL passwd`, base64 for the wire (RFC 4954). */
export function plainResponse(user: string, secret: string, authzid = ""): string {
  return b64(`${authzid}\0${user}\0${secret}`);
}

/** AUTH LOGIN answers `334 VXNlcm5hbWU6` ("Username:") and `334 UGFzc3dvcmQ6` ("Password:"). */
export function loginResponses(user: string, secret: string): [string, string] {
  return [b64(user), b64(secret)];
}

export function decodeLoginChallenge(challenge: string): string {
  return Buffer.from(challenge, "base64").toString("utf8");
}

/** RFC 2195 §2: base64(`user hex(HMAC-MD5(secret, challenge))`). */
export function cramMd5Response(challengeBase64: string, user: string, secret: string): string {
  const challenge = Buffer.from(challengeBase64, "base64");
  const digest = crypto().createHmac("md5", secret).update(challenge).digest("hex");
  return b64(`${user} ${digest}`);
}

/** XOAUTH2: base64(`user=USER ^A auth=Bearer TOKEN ^A ^A`). */
export function xoauth2Response(user: string, token: string): string {
  return b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
}

/** The server's `334 <base64 JSON>` after a refused XOAUTH2 token. */
export function decodeXoauth2Error(challenge: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(challenge, "base64").toString("utf8")) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Every form in which `secret` crosses the wire in the exchanges above. */
export function secretWireForms(user: string, secret: string): string[] {
  if (!secret) return [];
  const forms = new Set([secret, b64(secret), plainResponse(user, secret), plainResponse(user, secret, user), xoauth2Response(user, secret)]);
  return [...forms].filter(Boolean);
}
