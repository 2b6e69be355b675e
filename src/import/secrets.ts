// An imported script never holds a credential. The generator turns the AUTH exchanges it
// recognises into `auth … ${env.MAILCHAT_PASSWORD}`; whatever else the paste carried (a PASS
// after a refused USER, a SASL response typed by hand, a password echoed by the server) is
// found here by its place in the protocol, the same spotters the runner uses, and replaced
// by an environment reference.
import type { ProtocolName } from "../compile/steps.js";
import { protocolFor } from "../protocols/index.js";
import { SCHEMES } from "../protocols/schemes.js";
import { SecretBook, textForms } from "../secrets/book.js";
import { replyFromLine } from "../protocols/credentials.js";
import type { Transcript } from "./transcript.js";

export interface SecretReference {
  /** The environment variable that now stands for the value. */
  variable: string;
  /** Where the value was first seen (a line of the paste). */
  line: number;
}

/** `pass SECRET`, `password: SECRET`, `passwd=SECRET` in what a tool prints of itself. */
const TOOL_PASSWORD = /\b(?:pass|password|passwd)\b\s*[:=]?\s*(["']?)([^\s"',;]+)\1/gi;

/** The credentials of a paste, in order of first appearance. */
export function spotSecrets(transcript: Transcript): Array<{ value: string; line: number }> {
  const found: Array<{ value: string; line: number }> = [];
  let protocol: ProtocolName = transcript.protocol;
  let spotter = protocolFor(protocol)?.createSpotter();
  for (const entry of transcript.entries) {
    if (entry.kind === "connect") {
      const scheme = entry.url ? SCHEMES[entry.url.split(":")[0]!] : undefined;
      if (scheme) protocol = scheme.protocol;
      spotter = protocolFor(protocol)?.createSpotter();
    }
    if (entry.kind === "server") spotter?.server(replyFromLine(entry.text));
    // A tool's own chatter may name the password it uses (`s-nail: Credentials: host …,
    // user …, pass SECRET`): never copied into a comment or onto standard error.
    if (entry.kind === "unplaced") {
      for (const match of entry.text.matchAll(TOOL_PASSWORD)) {
        const value = match[2]!;
        if (value.length >= 3 && !found.some((f) => f.value === value)) found.push({ value, line: entry.line });
      }
    }
    if (entry.kind !== "client") continue;
    const lines = entry.raw ? entry.raw.toString("latin1").split(/\r?\n/) : [entry.text];
    for (const line of lines) {
      for (const value of spotter?.client(line.trim()) ?? []) {
        if (value.length >= 3 && !found.some((f) => f.value === value)) found.push({ value, line: entry.line });
      }
    }
  }
  return found;
}

/**
 * Replaces every form of every spotted secret in the generated script: by an environment
 * reference in statements (`send PASS ${env.MAILCHAT_PASSWORD}` still runs), by the
 * placeholder in comments. The first secret is MAILCHAT_PASSWORD, as in `auth` lines.
 */
export function replaceSecrets(script: string, secrets: Array<{ value: string; line: number }>): { script: string; references: SecretReference[] } {
  const references: SecretReference[] = [];
  let out = script;
  const comments = new SecretBook();
  for (const secret of secrets) {
    const variable = references.length === 0 ? "MAILCHAT_PASSWORD" : `MAILCHAT_SECRET_${references.length + 1}`;
    const forms = textForms(secret.value).sort((a, b) => b.length - a.length);
    const before = out;
    out = out
      .split("\n")
      .map((line) => (line.startsWith("#") ? line : forms.reduce((text, form) => text.split(form).join(`\${env.${variable}}`), line)))
      .join("\n");
    comments.add(secret.value);
    if (out !== before) references.push({ variable, line: secret.line });
  }
  out = out
    .split("\n")
    .map((line) => (line.startsWith("#") ? comments.redact(line) : line))
    .join("\n");
  return { script: out, references };
}
