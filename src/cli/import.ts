// `mailchat import`: a pasted session (telnet, openssl s_client, swaks, golden) → a script.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { ProtocolName } from "../compile/steps.js";
import { PROTOCOL_NAMES, isProtocolName } from "../protocols/index.js";
import { describeFsError } from "../compile/compile.js";
import { generateScript } from "../import/generate.js";
import { replaceSecrets, spotSecrets } from "../import/secrets.js";
import { readTranscript } from "../import/transcript.js";
import { SecretBook } from "../secrets/book.js";
import { EXIT } from "../runtime/events.js";


export function importCommand(file: string, options: { output?: string; protocol?: string }): number {
  if (options.protocol && !isProtocolName(options.protocol)) {
    process.stderr.write(`mailchat: --protocol takes ${PROTOCOL_NAMES.join(", ")}, got \`${options.protocol}\`\n`);
    return EXIT.invalid;
  }
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    process.stderr.write(`mailchat: cannot read ${file === "-" ? "standard input" : file}: ${describeFsError(error)}\n`);
    return EXIT.invalid;
  }
  if (!text.trim()) {
    process.stderr.write(`mailchat: ${file === "-" ? "standard input" : file} is empty: paste a session (telnet, openssl s_client, swaks or a golden transcript)\n`);
    return EXIT.invalid;
  }
  const transcript = readTranscript(text, options.protocol ? { protocol: options.protocol as ProtocolName } : {});
  const generated = generateScript(transcript, file === "-" ? "standard input" : file);
  // Credentials the generator did not turn into `auth` lines are found by their place in the
  // protocol and replaced by environment references; nothing written may hold one.
  const secrets = spotSecrets(transcript);
  const book = new SecretBook();
  for (const secret of secrets) book.add(secret.value);
  const { script, references } = replaceSecrets(generated.script, secrets);
  const result = { ...generated, script };
  for (const entry of result.unplaced) process.stderr.write(book.redact(`mailchat: line ${entry.line} not placed (${entry.why}): ${entry.text}\n`));
  for (const reference of references) process.stderr.write(`mailchat: a credential the paste holds (line ${reference.line}) is written as \${env.${reference.variable}}: export it before running the script\n`);
  if (options.output) {
    const temporary = `${options.output}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, result.script);
      renameSync(temporary, options.output);
    } catch (error) {
      process.stderr.write(`mailchat: cannot write ${options.output}: ${describeFsError(error)}\n`);
      return EXIT.invalid;
    }
    process.stderr.write(`mailchat: wrote ${options.output} (${transcript.format} transcript, ${transcript.protocol.toUpperCase()})\n`);
  } else {
    process.stdout.write(result.script);
  }
  return EXIT.ok;
}
