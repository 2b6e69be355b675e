// The public API: `import { compile, run } from "mailchat"` to embed mailchat in a test runner.
export { parse } from "../grammar/index.js";
export type { Script, Statement, Diagnostic, Span } from "../grammar/index.js";
export { compile, type CompileOptions, type CompileResult } from "./compile/compile.js";
export type { CompiledScript, Step } from "./compile/steps.js";
export { run, type RunOptions, type RunResult } from "./runtime/runner.js";
export type { RunEvent, Failure, ConnectionFailure, TlsFacts, ChainCertificate, ChainVerdict, OcspFacts } from "./runtime/events.js";
export { EXIT } from "./runtime/events.js";
export { renderDiagnostic, renderDiagnostics } from "./diagnostics/render.js";
export { runScripts, compileScripts, type RunScriptsOptions, type RunScriptsResult, type ScriptInput } from "./run-scripts.js";
export { createReporter, REPORTER_NAMES, type ReporterName } from "./report/reporter.js";
export type { Reporter, ReporterOptions } from "./report/types.js";
export { SecretBook } from "./secrets/book.js";
