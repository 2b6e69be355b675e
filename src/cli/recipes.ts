// `mailchat recipes`: the troubleshooting recipes shipped in the package, and `recipe:NAME`
// as a script argument of `run` and `check`.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { closest } from "../../grammar/diagnostic.js";
import { EXIT } from "../runtime/events.js";

export const RECIPES_DIR = fileURLToPath(new URL("../../../recipes/", import.meta.url));

export interface Recipe {
  name: string;
  path: string;
  title: string;
}

export function listRecipes(): Recipe[] {
  if (!existsSync(RECIPES_DIR)) return [];
  return readdirSync(RECIPES_DIR)
    .filter((file) => file.endsWith(".mailchat"))
    .sort()
    .map((file) => {
      const path = join(RECIPES_DIR, file);
      const title = (readFileSync(path, "utf8").split("\n")[0] ?? "").replace(/^#\s*/, "");
      return { name: file.replace(/\.mailchat$/, ""), path, title };
    });
}

/** `recipe:NAME` → the recipe's path; other arguments are returned as they are. */
export function resolveScriptArgument(argument: string): { path: string } | { error: string } {
  if (!argument.startsWith("recipe:")) return { path: argument };
  const name = argument.slice("recipe:".length);
  const recipe = listRecipes().find((r) => r.name === name);
  if (recipe) return { path: recipe.path };
  const suggestion = closest(name, listRecipes().map((r) => r.name));
  return { error: `no recipe \`${name}\`${suggestion ? ` — did you mean \`recipe:${suggestion}\`?` : ""} (\`mailchat recipes\` lists them)` };
}

export function recipesCommand(action: string | undefined, name: string | undefined): number {
  const recipes = listRecipes();
  if (action === undefined || action === "list") {
    const width = Math.max(...recipes.map((r) => r.name.length));
    for (const recipe of recipes) process.stdout.write(`${recipe.name.padEnd(width)}  ${recipe.title}\n`);
    process.stdout.write(`\nrun one:   mailchat run recipe:NAME --var host=mail.example.com\nread one:  mailchat recipes show NAME\n`);
    return EXIT.ok;
  }
  if (action === "show" && name) {
    const resolved = resolveScriptArgument(`recipe:${name}`);
    if ("error" in resolved) {
      process.stderr.write(`mailchat: ${resolved.error}\n`);
      return EXIT.invalid;
    }
    process.stdout.write(readFileSync(resolved.path, "utf8"));
    return EXIT.ok;
  }
  process.stderr.write("mailchat: usage: mailchat recipes [list] | mailchat recipes show NAME\n");
  return EXIT.invalid;
}
