// `connect` and `starttls`: the socket, the handshake and what it yields; `expect tls
// refused` binds to the handshake before it.
import type { CompiledScript, Step, TlsSettings } from "../../compile/steps.js";
import { ConnectError, Connection, ProxyHeaderError } from "../connection.js";
import { describeOffer, GREETING, type RunContext, type SessionState } from "../context.js";
import type { Failure } from "../events.js";
import { StepConnectionFailure, StepFailure } from "../failures.js";
import { HandshakeError, describeVerifyError } from "../tls.js";
import { describeTarget, planRoute, type Plan } from "./route.js";

export type Route = (step: Extract<Step, { kind: "connect" }>) => { address: string; port: number } | undefined;

export async function connect(ctx: RunContext, step: Extract<Step, { kind: "connect" }>, route: Route | undefined): Promise<void> {
  const routed = route?.(step);
  const port = routed?.port ?? step.port;
  // The sandbox serves a socket's scheme on TCP like any other.
  const socket = routed ? undefined : step.socket;
  ctx.reset(step.protocol, step.host, port, step.implicitTls, step.name, socket);
  // Replies of a session arrive while another may be in use: they go to their own state.
  const state = ctx.current;
  ctx.emit({ type: "connect", url: step.url, host: step.host, port: step.port, protocol: step.protocol, implicitTls: step.implicitTls });
  if (routed) ctx.note(`sandbox: ${step.url} is served by 127.0.0.1:${port}`);
  const plan: Plan = routed || socket !== undefined || (!step.routing && !ctx.options.resolver) ? { targets: [{ host: step.host, address: routed?.address ?? step.host }] } : await planRoute(ctx, step);
  const started = Date.now();
  let proxyShown: string | undefined;
  const showProxy = () => proxyShown !== undefined && ctx.emit({ type: "marker", message: proxyShown });
  if (step.proxy && routed) ctx.note("sandbox: the PROXY header is not sent (the sandbox does not read one)");
  for (const [index, target] of plan.targets.entries()) {
    state.host = target.host;
    try {
      const options = openOptions(ctx, step, state, target.host, target.address, port);
      if (socket !== undefined) options.socket = socket;
      if (step.proxy && !routed) Object.assign(options, { proxy: step.proxy, sentProxy: (shown: string) => (proxyShown = shown) });
      ctx.connection = await Connection.open(options);
      break;
    } catch (error) {
      showProxy();
      if (error instanceof ProxyHeaderError) throw new StepFailure({ message: error.message, expected: "a PROXY header", actual: "none sent", hint: error.hint });
      // An MTA goes on to the next address when one refuses or does not answer (RFC 5321 §5.1).
      if (error instanceof ConnectError && index < plan.targets.length - 1) {
        ctx.emit({ type: "marker", message: `${describeTarget(target)}: ${error.code === "ECONNREFUSED" ? "connection refused" : error.code === "ETIMEDOUT" ? "no answer" : error.message} (${error.code ?? "error"}); trying the next address` });
        continue;
      }
      if (step.expectRefused && error instanceof HandshakeError) return refused(ctx, step.tls, error);
      throw new StepConnectionFailure(ctx.classify(error, step.implicitTls ? "tls" : "connect", step.tls));
    }
  }
  const connection = ctx.connection!;
  if (step.routing || plan.targets.length > 1) {
    const reached = plan.targets.find((t) => t.host === state.host && t.address === connection.remoteAddress) ?? { host: state.host, address: connection.remoteAddress };
    const from = step.routing?.localAddress ? ` from ${connection.localAddress}` : "";
    ctx.emit({ type: "marker", message: `reached ${describeTarget(reached)}${from}` });
  }
  // The sandbox stands in for the network, DNS included: no DNS fact is known of its connections.
  if (!routed) state.route = { host: state.host, address: connection.remoteAddress, localAddress: readsLocalAddress(ctx.script) ? connection.localAddress : "", ...(plan.domain ? { domain: plan.domain } : {}), ...(plan.mx ? { mx: plan.mx } : {}) };
  ctx.emit({ type: "connected", address: socket ?? connection.remoteAddress, port: socket !== undefined ? 0 : connection.remotePort, ms: Date.now() - started });
  showProxy();
  measureConnection(ctx, state);
  if (!connection.tls) return;
  if (step.expectRefused) return notRefused(ctx, step.tls);
  afterHandshake(ctx, step.tls);
}

export async function starttls(ctx: RunContext, step: Extract<Step, { kind: "starttls" }>, sendCommand: (line: string) => Promise<void>): Promise<void> {
  const protocol = ctx.protocol!;
  await sendCommand(protocol.starttlsCommand);
  const reply = await ctx.take(step.timeoutMs, "ready to start TLS", "starttls");
  if (!protocol.starttlsReady(reply)) {
    const failure: Failure = { message: `the server refused ${protocol.starttlsCommand}`, expected: "ready to start TLS", actual: ctx.shownReply(reply), span: step.span };
    const hint = ctx.hint({ expected: "capability STARTTLS", step: "starttls", reply: ctx.shownLines(reply) }) ?? ctx.hint({ expected: "", step: "starttls", situation: "starttls-refused" });
    if (hint) failure.hint = hint;
    throw new StepFailure(failure);
  }
  let upgraded: Awaited<ReturnType<Connection["upgrade"]>>;
  try {
    const upgradeOptions: Parameters<Connection["upgrade"]>[0] = { host: ctx.host, settings: step.tls, timeoutMs: step.timeoutMs, greets: Boolean(protocol.greetsAfterTls) };
    if (ctx.options.ca) upgradeOptions.ca = ctx.options.ca;
    upgraded = await ctx.connection!.upgrade(upgradeOptions);
  } catch (error) {
    ctx.connection = undefined;
    if (step.expectRefused && error instanceof HandshakeError) return refused(ctx, step.tls, error);
    throw new StepConnectionFailure(ctx.classify(error, "tls", step.tls, true));
  }
  // ManageSieve speaks first after the handshake (RFC 5804 §2.2): its capabilities are owed.
  ctx.owed = protocol.greetsAfterTls ? 1 : 0;
  ctx.answering = protocol.greetsAfterTls ? [{ command: protocol.starttlsCommand, pipelined: false, sentAt: ctx.connection!.timings.readyAt }] : [];
  ctx.measure({ name: "handshake", value: ctx.connection!.timings.handshakeMs ?? 0, unit: "ms" });
  if (step.expectRefused) return notRefused(ctx, step.tls);
  if (upgraded.dropped > 0) {
    ctx.note(`discarded ${upgraded.dropped} bytes the server sent in plaintext after its STARTTLS go-ahead (RFC 3207 §4.2: a STARTTLS injection attempt or a broken server)`);
  }
  // RFC 3207 §4.2: the client must discard what it knew of the server before TLS.
  ctx.capabilities = undefined;
  afterHandshake(ctx, step.tls);
}

const localAddressReaders = new WeakMap<CompiledScript, boolean>();

/** Whether a step of the script reads the address sent from (`expect local rdns`, its one
 *  reader): asking the kernel (getsockname) for every connection cost a load run ~1%. */
function readsLocalAddress(script: CompiledScript): boolean {
  let reads = localAddressReaders.get(script);
  if (reads === undefined) {
    reads = script.steps.some((step) => step.kind === "check" && step.check.kind === "rdns" && step.check.local);
    localAddressReaders.set(script, reads);
  }
  return reads;
}

/** The connect and handshake times, and where the greeting's response time counts from. */
function measureConnection(ctx: RunContext, state: SessionState): void {
  const timings = ctx.connection!.timings;
  const greeting = state.answering[0];
  if (greeting?.command === GREETING) greeting.sentAt = timings.readyAt;
  ctx.measure({ name: "connect", value: timings.connectMs, unit: "ms" });
  if (timings.handshakeMs !== undefined) ctx.measure({ name: "handshake", value: timings.handshakeMs, unit: "ms" });
}

/** `expect tls refused` held: the handshake failed, as the script said it would. */
function refused(ctx: RunContext, settings: TlsSettings, error: HandshakeError): void {
  ctx.connection = undefined;
  ctx.emit({ type: "tls-refused", offered: describeOffer(settings), reason: error.code ? `${error.message} (${error.code})` : error.message });
}

async function notRefused(ctx: RunContext, settings: TlsSettings): Promise<void> {
  const facts = ctx.connection!.tls!;
  facts.offered = describeOffer(settings);
  facts.server = `${ctx.host}:${ctx.port}`;
  ctx.emit({ type: "tls", facts });
  await ctx.connection!.destroy();
  ctx.connection = undefined;
  throw new StepFailure({
    message: `expected the server to refuse the handshake (${describeOffer(settings)}), but it negotiated ${facts.version} ${facts.cipher}`,
    expected: "tls refused",
    actual: `${facts.version} ${facts.cipher}`,
  });
}

function afterHandshake(ctx: RunContext, settings: TlsSettings): void {
  const facts = ctx.connection!.tls!;
  facts.offered = describeOffer(settings);
  facts.server = `${ctx.host}:${ctx.port}`;
  ctx.emit({ type: "tls", facts });
  if (facts.authorized) return;
  const reason = facts.authorizationError ?? "unknown";
  if (!settings.verify) {
    ctx.note(`certificate verification is off: the certificate would have been refused (${describeVerifyError(reason)})`);
    return;
  }
  void ctx.connection!.destroy();
  throw new StepConnectionFailure(ctx.classify(new HandshakeError(`certificate verification failed: ${describeVerifyError(reason)} (${reason})`, reason), "certificate", settings));
}

function openOptions(ctx: RunContext, step: Extract<Step, { kind: "connect" }>, state: RunContext["current"], host: string, address: string, port: number): Parameters<typeof Connection.open>[0] {
  const options: Parameters<typeof Connection.open>[0] = {
    host,
    address,
    port,
    timeoutMs: step.timeoutMs,
    protocol: state.protocol!,
    listener: {
      reply: (reply) => {
        state.spotter?.server(reply);
        const lines = ctx.shownLines(reply);
        state.lastReply = lines.join("\n");
        ctx.emit({ type: "server", lines }, state);
      },
      broken: (error) => {
        // The current session's steps report it as they read; another is marked now.
        if (state !== ctx.current) ctx.emit({ type: "marker", message: `${ctx.book.redact(error.message)}` }, state);
      },
      closed: (by) => {
        if (by === "server") state.closedByServer = true;
        ctx.emit({ type: "closed", by }, state);
      },
    },
  };
  if (step.routing?.localAddress) options.localAddress = step.routing.localAddress;
  if (step.implicitTls) options.implicitTls = ctx.options.ca ? { settings: step.tls, ca: ctx.options.ca } : { settings: step.tls };
  return options;
}
