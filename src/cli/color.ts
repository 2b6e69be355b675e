// Colour only where a person reads it: a TTY, unless NO_COLOR says no (no-color.org) or
// FORCE_COLOR / --color says yes. --no-color and --color beat the environment.
export function colorEnabled(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  if (flag === true && process.argv.includes("--color")) return true;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}
