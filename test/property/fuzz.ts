// Shared by the property tests: how many runs (10 000 by default in CI, more with
// `npm run fuzz`), a seed that is printed with a replay command when a property fails.
import fc from "fast-check";

export const RUNS = Number(process.env.MAILCHAT_FUZZ_RUNS ?? 10_000);
export const SEED = process.env.MAILCHAT_FUZZ_SEED !== undefined ? Number(process.env.MAILCHAT_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);

/** fc.assert with the run's seed; a failure says how to replay it exactly. */
export function check<T>(property: fc.IProperty<T>, runs = RUNS): void {
  try {
    fc.assert(property, { numRuns: runs, seed: SEED });
  } catch (error) {
    const replay = `replay: MAILCHAT_FUZZ_SEED=${SEED} MAILCHAT_FUZZ_RUNS=${runs} npm run fuzz`;
    process.stderr.write(`\n${replay}\n`);
    (error as Error).message = `${(error as Error).message}\n${replay}`;
    throw error;
  }
}
