// Executes compiled steps against a live server, one at a time, and reports what happens as
// events. A failed step ends its connection: what follows on it depends on it. The run goes
// on at the next `connect`, if there is one (each connection is its own session: a TLS
// version probe, a smuggling probe); the first failure decides the status, since what fails
// after it may be its consequence.
//
// The verdict is tied to the wire (rules in runtime/context.ts): every command owes a reply,
// an `expect` takes the next one, and replies owed to `send`s no `expect` took are read before
// the next command and at the end of the script, where a refusal fails the run. Each kind of
// step lives in runtime/steps/.
import type { CompiledScript, Step } from "../compile/steps.js";
import { DEFAULT_TIMEOUT_MS, SECRET_PLACEHOLDER } from "../limits.js";
import { SecretBook } from "../secrets/book.js";
import { ConnectError } from "./connection.js";
import { RunContext } from "./context.js";
import { EXIT, type RunEvent, type RunStatus, type StepInfo } from "./events.js";
import { StepConnectionFailure, StepFailure } from "./failures.js";
import { auth } from "./steps/auth.js";
import { connect, starttls, type Route } from "./steps/connect.js";
import { data, dataFile } from "./steps/data.js";
import { expect } from "./steps/expect.js";
import { bdat, bdatFile } from "./steps/bdat.js";
import { probeEndOfData } from "./steps/probe.js";
import { check } from "./steps/check.js";
import { dataMessage } from "./steps/message.js";
import { timing } from "./steps/timing.js";
import type { DnsServer } from "../dns/client.js";
import { sendCommand, sendPipeline, sendRaw, sendWithLiteral } from "./steps/send.js";

export interface RunOptions {
  emit: (event: RunEvent) => void;
  /** Extra trust anchors (PEM): --ca, the sandbox's CA. */
  ca?: string[];
  showSecrets?: boolean;
  /** The secrets of this invocation (--secret, secret params), shared with every output
   *  channel; the run adds what it learns. A new book is made when none is given. */
  secrets?: SecretBook;
  /** Sends a connect elsewhere (the sandbox): the script's host stays the name to verify. */
  route?: Route;
  /** --resolver: the DNS server for MX, addresses, PTR, TXT and TLSA. */
  resolver?: DnsServer;
  /** MTA-STS policy hosts' HTTPS port, when not 443 (tests). */
  policyPort?: number;
}

export interface RunResult {
  status: RunStatus;
  exitCode: number;
  ms: number;
}

export async function run(script: CompiledScript, options: RunOptions): Promise<RunResult> {
  const secrets = options.secrets ?? new SecretBook(Boolean(options.showSecrets));
  for (const secret of script.secrets) secrets.add(secret);
  const contextOptions: ConstructorParameters<typeof RunContext>[1] = { emit: options.emit, secrets };
  if (options.ca) contextOptions.ca = options.ca;
  if (options.resolver) contextOptions.resolver = options.resolver;
  if (options.policyPort) contextOptions.policyPort = options.policyPort;
  const ctx = new RunContext(script, contextOptions);
  const started = Date.now();
  ctx.emit({ type: "run-start", file: script.file, steps: script.steps.length, time: new Date(started).toISOString(), ...(script.target ? { target: script.target } : {}) });
  if (secrets.showSecrets) ctx.note("--show-secrets: passwords and tokens are shown in clear in this output");
  let status: RunStatus = "pass";
  const steps = stepsOf(script);
  let skipping = false;
  for (const { step, info } of steps) {
    if (skipping) {
      if (step?.kind !== "connect") continue;
      skipping = false;
    }
    const stepStarted = Date.now();
    if (step) ctx.emit({ type: "step-start", step: info });
    try {
      const fault = ctx.otherSessionFault(false);
      if (fault) throw fault;
      if (step) await runStep(ctx, step, options.route);
      else await settleAll(ctx);
      const warning = ctx.takeWarning();
      if (warning && status === "pass") status = "warning";
      if (step && !warning) ctx.emit({ type: "step-end", step: info, status: "pass", ms: Date.now() - stepStarted });
      else if (step) ctx.emit({ type: "step-end", step: info, status: "warning", ms: Date.now() - stepStarted, warning: ctx.clean({ ...warning!, span: step.span }) });
    } catch (error) {
      if (error instanceof StepFailure) {
        ctx.takeWarning();
        if (status === "pass" || status === "warning") status = "fail";
        ctx.emit({ type: "step-end", step: info, status: "fail", ms: Date.now() - stepStarted, failure: ctx.clean(error.failure) });
      } else if (error instanceof StepConnectionFailure) {
        ctx.takeWarning();
        if (status === "pass" || status === "warning") status = "error";
        ctx.emit({ type: "step-end", step: info, status: "error", ms: Date.now() - stepStarted, connectionFailure: error.failure });
      } else {
        throw error;
      }
      const next = script.steps.findIndex((s, index) => index > info.index && s.kind === "connect");
      if (next < 0) break;
      await closeAll(ctx, false);
      ctx.note(`the rest of this connection was skipped; the run goes on at the next \`connect\` (line ${script.steps[next]!.span.line})`);
      skipping = true;
    }
  }
  await closeAll(ctx, status === "pass" || status === "warning");
  // A warning passes: `--fail-on-warning` (the CLI) or the nagios reporter make it count.
  const exitCode = status === "pass" || status === "warning" ? EXIT.ok : status === "fail" ? EXIT.expectationFailed : EXIT.connectionFailed;
  const ms = Date.now() - started;
  ctx.emit({ type: "run-end", file: script.file, status, exitCode, ms });
  ctx.finished = true;
  return { status, exitCode, ms };
}

const plans = new WeakMap<CompiledScript, ReadonlyArray<{ step: Step | undefined; info: StepInfo }>>();

/** The steps with what the events say of each, made once a script: a load run goes through
 *  them thousands of times. */
function stepsOf(script: CompiledScript): ReadonlyArray<{ step: Step | undefined; info: StepInfo }> {
  let steps = plans.get(script);
  if (steps) return steps;
  const made: Array<{ step: Step | undefined; info: StepInfo }> = script.steps.map((step, index) => ({ step, info: { index, kind: step.kind, source: step.source, span: step.span } }));
  const last = script.steps[script.steps.length - 1];
  // The replies still owed when the script ends are read and judged too.
  if (last) made.push({ step: undefined, info: { index: script.steps.length, kind: "end", source: "(end of script: replies still owed are read and judged)", span: last.span } });
  steps = made;
  plans.set(script, steps);
  return steps;
}

/** Steps that send a command: the replies owed to earlier `send`s are read first (a refusal
 *  among them fails the run before anything more goes out). */
const SENDS_A_COMMAND: ReadonlySet<Step["kind"]> = new Set(["send", "pipeline", "bdat", "bdat-file", "probe-end-of-data", "starttls", "auth", "data", "data-file", "data-message"]);

/** One step. Not itself async: a load run goes through millions, and an async function that
 *  waits keeps its whole frame (every case's temporaries) on the heap each time. A step may
 *  throw before it returns its promise: callers await it inside their try. */
export function runStep(ctx: RunContext, step: Step, route: Route | undefined): Promise<void> | void {
  if (SENDS_A_COMMAND.has(step.kind) && "timeoutMs" in step && ctx.owed > 0) return ctx.settle(step.timeoutMs).then(() => dispatch(ctx, step, route));
  return dispatch(ctx, step, route);
}

function dispatch(ctx: RunContext, step: Step, route: Route | undefined): Promise<void> | void {
  switch (step.kind) {
    case "connect":
      return connect(ctx, step, route);
    case "send":
      if (step.literal) return sendWithLiteral(ctx, ctx.renderLine(step.line), step.literal, step.timeoutMs, step.after?.map((piece) => ({ ...piece, text: ctx.renderLine(piece.text) })));
      return sendCommand(ctx, ctx.renderLine(step.line), step.timeoutMs);
    case "send-raw":
      return sendRaw(ctx, ctx.render(step.bytes));
    case "pipeline":
      return sendPipeline(ctx, step.lines.map((line) => ctx.renderLine(line)));
    case "bdat":
      return bdat(ctx, step);
    case "bdat-file":
      return bdatFile(ctx, step);
    case "probe-end-of-data":
      return probeEndOfData(ctx, step, commandSender(ctx, step.timeoutMs));
    case "expect":
      return expect(ctx, step);
    case "check":
      return check(ctx, step);
    case "timing":
      return timing(ctx, step);
    case "starttls":
      return starttls(ctx, step, commandSender(ctx, step.timeoutMs));
    case "auth":
      return auth(ctx, step);
    case "data":
      return data(ctx, step, commandSender(ctx, step.timeoutMs));
    case "data-file":
      return dataFile(ctx, step, commandSender(ctx, step.timeoutMs));
    case "data-message":
      return dataMessage(ctx, step, commandSender(ctx, step.timeoutMs));
    case "set": {
      const value = ctx.render(step.value);
      if (step.secret) ctx.book.add(value);
      ctx.captures.set(step.name, value);
      return;
    }
    case "use":
      ctx.use(step.name);
      return;
    case "close":
      return closeStep(ctx);
    default:
      return assertNever(step);
  }
}

/** How the steps that send DATA, STARTTLS and the like send their command. */
function commandSender(ctx: RunContext, timeoutMs: number): (line: string) => Promise<void> {
  return (line) => sendCommand(ctx, line, timeoutMs);
}

async function closeStep(ctx: RunContext): Promise<void> {
  await ctx.settle(DEFAULT_TIMEOUT_MS);
  await ctx.connection?.close({ afterFarewell: ctx.current.saidFarewell });
  ctx.connection = undefined;
}

/** The end of the script: the replies every open session still owes are read and judged. */
async function settleAll(ctx: RunContext): Promise<void> {
  const current = ctx.current;
  for (const state of ctx.sessions.values()) {
    if (!state.connection) continue;
    ctx.current = state;
    await ctx.settle(DEFAULT_TIMEOUT_MS, true);
  }
  ctx.current = current;
  const fault = ctx.otherSessionFault(true);
  if (fault) throw fault;
}

/** Every open session closed (politely after a pass, at once after a failure). */
async function closeAll(ctx: RunContext, polite: boolean): Promise<void> {
  for (const state of ctx.sessions.values()) {
    if (!state.connection) continue;
    await (polite ? state.connection.close({ afterFarewell: state.saidFarewell }) : state.connection.destroy());
    state.connection = undefined;
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled step ${JSON.stringify(value)}`);
}

export { SECRET_PLACEHOLDER, ConnectError };
