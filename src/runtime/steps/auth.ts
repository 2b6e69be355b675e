// `auth`: the protocol's SASL exchange, its secrets in the book before a byte is sent; the
// final reply is left for the script's `expect`.
import type { Step } from "../../compile/steps.js";
import type { Exchange } from "../../protocols/types.js";
import { secretWireForms } from "../../sasl/index.js";
import type { RunContext } from "../context.js";

export async function auth(ctx: RunContext, step: Extract<Step, { kind: "auth" }>): Promise<void> {
  const user = ctx.renderLine(step.user);
  const secret = ctx.renderLine(step.secret);
  ctx.book.add(secret);
  for (const form of secretWireForms(user, secret)) ctx.book.addExact(form);
  const exchange: Exchange = {
    send: (line, shown) => ctx.send(line, ctx.book.showSecrets ? line : (shown ?? line)),
    nextTag: () => ctx.session!.nextTag(),
    reply: () => ctx.take(step.timeoutMs, "a SASL challenge or the final reply", "auth"),
    putBack: (reply) => ctx.putBack(reply),
    note: (message) => ctx.note(message),
    capabilities: () => ctx.capabilities,
  };
  await ctx.protocol!.authenticate(exchange, { mechanism: step.mechanism, user, secret });
}
