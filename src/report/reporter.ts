// The reporters by name. Each lives in its own file and is loaded only when chosen, so
// start-up stays lean.
import type { Reporter, ReporterOptions } from "./types.js";

export type { Reporter, ReporterOptions };

export const REPORTER_NAMES = ["pretty", "json", "junit", "tap", "html", "jsonl", "nagios"] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

export async function createReporter(name: ReporterName, options: ReporterOptions): Promise<Reporter> {
  switch (name) {
    case "json":
      return new (await import("./json.js")).JsonReporter(options);
    case "junit":
      return new (await import("./junit.js")).JunitReporter(options);
    case "tap":
      return new (await import("./tap.js")).TapReporter(options);
    case "jsonl":
      return new (await import("./jsonl.js")).JsonLinesReporter(options);
    case "nagios":
      return new (await import("./nagios.js")).NagiosReporter(options);
    case "html":
      return new (await import("./html.js")).HtmlReporter(options);
    default:
      return new (await import("./pretty.js")).PrettyReporter(options);
  }
}
