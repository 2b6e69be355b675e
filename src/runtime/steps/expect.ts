// `expect`: the next reply judged by every matcher; `expect closed` and `expect silence`.
import type { Step } from "../../compile/steps.js";
import { escapeBytes } from "../../transcript/escape.js";
import { RegexTimeout } from "../bounded-regex.js";
import type { RunContext } from "../context.js";
import type { Failure } from "../events.js";
import { describeMatcher, judgeReply } from "../expectations.js";
import { StepFailure } from "../failures.js";

type ExpectStep = Extract<Step, { kind: "expect" }>;

export async function expect(ctx: RunContext, step: ExpectStep): Promise<void> {
  if (step.closed) return expectClosed(ctx, step);
  if (step.silenceMs !== undefined) return expectSilence(ctx, step, step.silenceMs);
  const started = Date.now();
  const protocol = ctx.protocol!;
  const expected = step.matchers.map((m) => describeMatcher(m, ctx.render)).join(" ");
  // `expect tag2 OK`: that command's completion, in whatever order completions come; its
  // `untagged` matchers see every untagged line since the commands in flight went out.
  const tagged = step.matchers.find((m) => m.kind === "status" && m.tag);
  const tag = tagged?.kind === "status" && tagged.tag ? ctx.render(tagged.tag) : undefined;
  const reply = await ctx.take(step.timeoutMs, expected, "expect", tag);
  const group = tag === undefined ? {} : { untaggedLines: [...ctx.current.groupLines, ...(ctx.connection?.unread() ?? []).flatMap((r) => r.raw.map((line) => line.toString("latin1")))] };
  let judgement: ReturnType<typeof judgeReply>;
  try {
    judgement = judgeReply(reply, step.matchers, {
      ...group,
      capabilities: protocol.capabilities(reply) ?? undefined,
      describeCapabilities: (capabilities) => protocol.describeCapabilities(capabilities),
      responseCodes: (r) => protocol.responseCodes?.(r) ?? [],
      render: ctx.render,
      lookup: (name) => ctx.captures.get(name),
      regexBudgetMs: step.timeoutMs - (Date.now() - started),
    });
  } catch (error) {
    if (error instanceof RegexTimeout) throw new StepFailure({ message: error.message, expected, actual: ctx.shownReply(reply), span: step.span });
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
  for (const [name, value] of Object.entries(judgement.captures)) ctx.captures.set(name, value);
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
