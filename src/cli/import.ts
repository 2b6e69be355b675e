// `mailchat import`: a pasted session (telnet, openssl s_client, swaks, golden) → a script.
import { readFileSync } from "node:fs";
import writeFileAtomic from "write-file-atomic";
import type { ProtocolName } from "../compile/steps.js";
import { PROTOCOL_NAMES, isProtocolName } from "../protocols/index.js";
import { compile, describeFsError } from "../compile/compile.js";
import { renderDiagnostics } from "../diagnostics/render.js";
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
  // The script must compile (the credentials it references count as given): if not, it is
  // still written, so it can be fixed by hand, and the status says so.
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const name of script.match(/\$\{env\.(MAILCHAT_[A-Z0-9_]+)\}/g) ?? []) env[name.slice(6, -1)] = "x";
  // Params are the user's to give (`--var host=…`): a stand-in value checks the rest.
  const vars = Object.fromEntries([...script.matchAll(/^param (\w+)/gm)].map((m) => [m[1]!, "example.invalid"]));
  const compiled = compile(options.output ?? "imported.mailchat", { source: script, env, vars });
  // A paste of which nothing reads as a session (all prose, a flattened line) gives an empty
  // script: it would pass against any server, so it is not a success.
  const empty = !transcript.entries.some((e) => e.kind === "client" || e.kind === "server");
  if (empty) process.stderr.write("mailchat: nothing in this paste reads as the lines of a session (every line is prose, a prompt or tool output); the script holds only the connect\n");
  const invalid = compiled.diagnostics.length > 0 || empty;
  if (compiled.diagnostics.length > 0) {
    process.stderr.write(`mailchat: the imported script does not compile yet; fix it by hand:\n${book.redact(renderDiagnostics(compiled.diagnostics, () => script, { color: false }))}\n`);
  }
  if (options.output) {
    try {
      writeFileAtomic.sync(options.output, result.script);
    } catch (error) {
      process.stderr.write(`mailchat: cannot write ${options.output}: ${describeFsError(error)}\n`);
      return EXIT.invalid;
    }
    process.stderr.write(`mailchat: wrote ${options.output} (${transcript.format} transcript, ${transcript.protocol.toUpperCase()})\n`);
  } else {
    process.stdout.write(result.script);
  }
  return invalid ? EXIT.expectationFailed : EXIT.ok;
}
