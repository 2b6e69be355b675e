// `expect`: the next reply judged by every matcher; `expect closed` and `expect silence`.
import type { RuntimeText, Step } from "../../compile/steps.js";
import { escapeBytes } from "../../transcript/escape.js";
import { RegexTimeout } from "../bounded-regex.js";
import { GREETING, type RunContext } from "../context.js";
import type { Reply } from "../../protocols/types.js";
import { holdTime } from "./timing.js";
import type { Failure } from "../events.js";
import { describeMatcher, judgeReply } from "../expectations.js";
import { StepFailure } from "../failures.js";

type ExpectStep = Extract<Step, { kind: "expect" }>;

export async function expect(ctx: RunContext, step: ExpectStep): Promise<void> {
  if (step.closed) return expectClosed(ctx, step);
  if (step.silenceMs !== undefined) return expectSilence(ctx, step, step.silenceMs);
  const started = Date.now();
  // Described when a failure needs it: most replies fit.
  const expected = (): string => step.matchers.map((m) => describeMatcher(m, ctx.render)).join(" ");
  // `expect tag2 OK`: that command's completion, in whatever order completions come; its
  // `untagged` matchers see every untagged line since the commands in flight went out.
  const tagged = taggedMatcher(step);
  const tag = tagged ? ctx.render(tagged) : undefined;
  const reply = await takeWithin(ctx, step, expected, tag);
  judge(ctx, step, reply, tag, started, expected);
}

const taggedMatchers = new WeakMap<ExpectStep, RuntimeText | null>();

/** The tag of a `status` matcher that names one, found once a step. */
function taggedMatcher(step: ExpectStep): RuntimeText | undefined {
  let tag = taggedMatchers.get(step);
  if (tag === undefined) {
    const found = step.matchers.find((m) => m.kind === "status" && m.tag);
    tag = found?.kind === "status" && found.tag ? found.tag : null;
    taggedMatchers.set(step, tag);
  }
  return tag ?? undefined;
}

/** The reply judged by every matcher of the step: captures kept, or the failure thrown. */
function judge(ctx: RunContext, step: ExpectStep, reply: Reply, tag: string | undefined, started: number, expected: () => string): void {
  const protocol = ctx.protocol!;
  const untaggedLines = tag === undefined ? undefined : [...ctx.current.groupLines, ...(ctx.connection?.unread() ?? []).flatMap((r) => r.raw)].map((line) => line.toString("latin1"));
  let judgement: ReturnType<typeof judgeReply>;
  try {
    const context = ctx.judgeContext;
    context.untaggedLines = untaggedLines;
    // Read as a list only for a `capability` matcher: most replies are judged on their code.
    context.capabilities = step.matchers.some((m) => m.kind === "capability") ? (protocol.capabilities(reply) ?? undefined) : undefined;
    context.regexBudgetMs = step.timeoutMs - (Date.now() - started);
    judgement = judgeReply(reply, step.matchers, context);
  } catch (error) {
    if (error instanceof RegexTimeout) throw new StepFailure({ message: error.message, expected: expected(), actual: ctx.shownReply(reply), span: step.span });
    throw error;
  }
  if (judgement.failure) {
    // The reply is shown as the transcript shows it: masked and escaped.
    const failure: Failure = { ...judgement.failure, actual: ctx.shownReply(reply) };
    if (ctx.takenNote) failure.message += ` (${ctx.takenNote})`;
    if (ctx.answered?.pipelined) failure.message += ` (the reply to \`${ctx.answered.command}\`, sent in a pipeline)`;
    if (failure.diff) failure.diff = { expected: escapeBytes(Buffer.from(failure.diff.expected)), actual: ctx.shownPart(reply, failure.diff.actual) };
    const hint = ctx.hint({ expected: failure.expected, step: "expect", reply: ctx.shownLines(reply) });
    if (hint) failure.hint = hint;
    throw new StepFailure(failure);
  }
  for (const name in judgement.captures) ctx.captures.set(name, judgement.captures[name]!);
  if (step.within) holdResponseTime(ctx, step, reply);
}

/**
 * `within DUR` is a response time: the wait ends DUR after the command was written (the
 * greeting: after the connection was ready), not DUR after this step began, so a reply that
 * came late but was already queued does not pass.
 */
function takeWithin(ctx: RunContext, step: ExpectStep, expected: () => string, tag: string | undefined): Promise<Reply> {
  const tagged = tag === undefined ? {} : { tag };
  // The command a tagged completion answers, else the oldest one waiting.
  const answering = (tag === undefined ? undefined : ctx.answering.find((a) => a.command.toUpperCase().startsWith(`${tag.toUpperCase()} `))) ?? ctx.answering[0];
  const sentAt = answering?.sentAt;
  if (!step.within || sentAt === undefined) return ctx.take(step.timeoutMs, expected, "expect", tagged);
  const left = Math.max(1, Math.ceil(sentAt + step.timeoutMs - performance.now()));
  return ctx.take(left, expected, "expect", { within: { limitMs: step.timeoutMs, from: describeAnswered(answering!.command) }, ...tagged });
}

function describeAnswered(command: string): string {
  return command === GREETING ? "the connection being ready (the greeting)" : `\`${command}\` being sent`;
}

function holdResponseTime(ctx: RunContext, step: ExpectStep, reply: Reply): void {
  const ms = ctx.responseMs(reply);
  if (ms === undefined) return;
  const command = ctx.answered!.command;
  const greeting = command === GREETING;
  const time: Parameters<typeof holdTime>[1] = { name: greeting ? "greeting" : "reply", ms, limitMs: step.timeoutMs, line: step.span.line, what: greeting ? "the greeting" : `the reply to \`${command}\`` };
  if (!greeting) time.command = command;
  if (step.warnMs !== undefined) time.warnMs = step.warnMs;
  holdTime(ctx, time);
}

async function expectSilence(ctx: RunContext, step: ExpectStep, silenceMs: number): Promise<void> {
  const connection = ctx.connection!;
  const arrival = await connection.next(silenceMs);
  if (arrival.kind === "timeout" && arrival.partial.length === 0) {
    // The script has said no reply comes; none is owed any more.
    ctx.owed = 0;
    ctx.answering = [];
    return;
  }
  if (arrival.kind === "reply") connection.putBack(arrival.reply);
  const actual = arrival.kind === "reply" ? ctx.shownReply(arrival.reply) : arrival.kind === "closed" ? "(the connection closed)" : arrival.kind === "timeout" ? ctx.shownBytes(arrival.partial) : arrival.error.message;
  throw new StepFailure({ message: `expected silence for ${silenceMs / 1000} s, but the server sent something`, expected: "silence", actual, span: step.span });
}

async function expectClosed(ctx: RunContext, step: ExpectStep): Promise<void> {
  const connection = ctx.connection!;
  const deadline = Date.now() + step.timeoutMs;
  for (;;) {
    const arrival = await connection.next(Math.max(deadline - Date.now(), 1));
    if (arrival.kind === "closed") {
      ctx.connection = undefined;
      ctx.owed = 0;
      return;
    }
    if (arrival.kind === "reply") continue; // a farewell (221, * BYE) may come first
    if (arrival.kind === "framing") throw new StepFailure({ message: arrival.error.message, expected: "closed", actual: ctx.shownBytes(arrival.error.received), span: step.span });
    throw new StepFailure({ message: `the server kept the connection open for ${step.timeoutMs / 1000} s`, expected: "closed", actual: "(open)", span: step.span });
  }
}
