// What every reporter is: it turns run events into output, and never touches a socket.
import type { RunEvent } from "../runtime/events.js";

export interface Reporter {
  event(event: RunEvent): void;
  /** Called once after the last run. */
  finish(): void;
}

export interface ReporterOptions {
  write: (text: string) => void;
  color: boolean;
  verbose?: boolean;
}
