// A step that fails throws one of these; the runner turns them into `step-end` events.
import type { ConnectionFailure, Failure } from "./events.js";

/** An expectation did not hold (exit 1). */
export class StepFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** The connection or its TLS failed (exit 3). */
export class StepConnectionFailure extends Error {
  constructor(readonly failure: ConnectionFailure) {
    super(failure.message);
  }
}
