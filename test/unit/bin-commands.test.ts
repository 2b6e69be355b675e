// bin/mailchat.cjs names a code cache per command from a list of its own (it must not load
// the CLI to learn them): the list must be the CLI's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildProgram } from "../../src/cli/main.js";
import { REPO_ROOT } from "../helpers/paths.js";

test("the commands bin/mailchat.cjs keeps a code cache for are the CLI's commands", () => {
  const bin = readFileSync(join(REPO_ROOT, "bin/mailchat.cjs"), "utf8");
  const listed = JSON.parse(/const COMMANDS = (\[[^\]]*\]);/.exec(bin)![1]!) as string[];
  const commands = buildProgram().commands.map((command) => command.name());
  assert.deepEqual([...listed].sort(), [...commands].sort());
});
