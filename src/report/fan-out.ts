// One run, several reports: the chosen reporter on standard output and `--report-NAME FILE`
// files, each written whole (atomically) at the end. Every text passes the secret book.
import { createReporter, type ReporterName } from "./reporter.js";
import type { Reporter, ReporterOptions } from "./types.js";

/** A `--report-NAME` file that could not be written at the end of the run. */
export class ReportFileError extends Error {}

export async function fanOut(main: { name: ReporterName; options: ReporterOptions }, files: Partial<Record<ReporterName, string>>, redact: (text: string) => string): Promise<Reporter> {
  const first = await createReporter(main.name, { ...main.options, write: (text) => main.options.write(redact(text)) });
  const others: Array<{ path: string; chunks: string[]; reporter: Reporter }> = [];
  for (const [name, path] of Object.entries(files)) {
    const chunks: string[] = [];
    others.push({ path, chunks, reporter: await createReporter(name as ReporterName, { write: (text) => void chunks.push(text), color: false }) });
  }
  // Loaded only for `--report-NAME FILE`: write-file-atomic sets itself up on load (~5 ms).
  const writeFileAtomic = others.length > 0 ? (await import("write-file-atomic")).default : undefined;
  return {
    event: (event) => {
      first.event(event);
      for (const other of others) other.reporter.event(event);
    },
    finish: () => {
      first.finish();
      for (const other of others) {
        other.reporter.finish();
        try {
          writeFileAtomic!.sync(other.path, redact(other.chunks.join("")));
        } catch (error) {
          throw new ReportFileError(`cannot write the report ${other.path}: ${(error as Error).message}; the run itself is reported above`);
        }
      }
    },
  };
}
