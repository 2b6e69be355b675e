// A file a command will write at its end (`--report-NAME FILE`, `shell --save FILE`): checked
// before anything is sent, so a missing directory costs a usage error, not a whole session.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describeFsError } from "../compile/compile.js";

/** Why `file` could not be written, or undefined. */
export function outputFileProblem(file: string): string | undefined {
  try {
    if (existsSync(file) && statSync(file).isDirectory()) return "a directory, not a file";
    accessSync(dirname(resolve(file)), constants.W_OK);
    return undefined;
  } catch (error) {
    return `its directory ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be written (${describeFsError(error)})`}`;
  }
}
