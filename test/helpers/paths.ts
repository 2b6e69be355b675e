// Paths of the repository, from a compiled test (dist/test/<dir>/<file>.js).
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
export const FIXTURES = join(REPO_ROOT, "test", "fixtures");
export const CLI = join(REPO_ROOT, "bin", "mailchat.cjs");
