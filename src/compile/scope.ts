// What a script's names stand for: params, --var and --secret values, `set`, the environment
// (only `${env.NAME}`), and values captured during the run, which stay references. Also the
// values the script declares secret.
import type * as A from "../../grammar/ast.js";
import { closest } from "../../grammar/diagnostic.js";
import { SECRET_PLACEHOLDER } from "../limits.js";
import { escapeRegex } from "../regex-escape.js";
import type { CompiledScript, RuntimeText } from "./steps.js";

type Variable = { known: true; value: string } | { known: false };

export type ReportError = (code: string, message: string, span: A.Span, help?: string) => void;

/** `line`: sent as one line, so no CR/LF may come from a value; `raw`: exact bytes; `value`: a
 *  word; `regex`: a regex's source, whose interpolated values match literally (escaped). */
export type TextKind = "line" | "raw" | "value" | "regex";

export class Scope {
  private readonly vars = new Map<string, Variable>();
  readonly secrets = new Set<string>();
  readonly params: CompiledScript["params"] = [];

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly given: { vars: Record<string, string>; secrets: Record<string, string> },
    private readonly error: ReportError,
  ) {
    for (const [name, value] of Object.entries(given.vars)) this.vars.set(name, { known: true, value });
    for (const [name, value] of Object.entries(given.secrets)) {
      this.vars.set(name, { known: true, value });
      this.secrets.add(value);
    }
    // `${tag}`: the tag of the IMAP command sent last (A7), set during the run.
    this.vars.set("tag", { known: false });
  }

  /** A value known now, or one captured during the run (`known: false`). */
  define(name: string, value: string | undefined): void {
    this.vars.set(name, value === undefined ? { known: false } : { known: true, value });
  }

  param(s: Extract<A.Statement, { kind: "param" }>): void {
    let value: string | undefined = this.given.vars[s.name] ?? this.given.secrets[s.name];
    if (value === undefined && s.fallback) {
      value = this.known(s.fallback, "a `param` default", "param-default-capture");
      if (value === undefined) return;
    }
    if (value === undefined) {
      const description = s.description ? ` (${s.description})` : "";
      this.error("missing-param", `the script needs a value for \`${s.name}\`${description}`, s.span, `pass --var ${s.name}=VALUE${s.secret ? ` (or --secret ${s.name}=VALUE)` : ""}, or give the param a default`);
      return;
    }
    this.define(s.name, value);
    const secret = s.secret || this.given.secrets[s.name] !== undefined;
    if (secret) this.secrets.add(value);
    const entry: CompiledScript["params"][number] = { name: s.name, value: secret ? SECRET_PLACEHOLDER : value };
    if (s.description) entry.description = s.description;
    this.params.push(entry);
  }

  /** A text that must be known before the run (a URL, a path, a TLS option). */
  known(template: A.Template, what: string, code = "capture-not-allowed"): string | undefined {
    const text = this.text(template, "value");
    if (!text) return undefined;
    if (text.parts.some((p) => typeof p !== "string")) {
      this.error(code, `${what} cannot use a value captured during the run`, template.span);
      return undefined;
    }
    return (text.parts as string[]).join("");
  }

  /**
   * Resolves a template: params, --var, `set` and the environment now; captured values stay
   * as references. `line` texts must not gain a CR or LF from a variable (command injection).
   */
  text(template: A.Template, kind: TextKind): RuntimeText | undefined {
    const parts: RuntimeText["parts"] = [];
    let ok = true;
    for (const part of template.parts) {
      if (part.kind === "text") {
        parts.push(part.text);
        continue;
      }
      const value = this.resolve(part);
      if (value === false) {
        ok = false;
        continue;
      }
      if (typeof value !== "string") {
        parts.push(value);
        continue;
      }
      if (kind === "regex") {
        parts.push(escapeRegex(value));
        continue;
      }
      if (kind === "line" && /[\r\n]/.test(value)) {
        const name = part.kind === "env" ? `env.${part.name}` : part.name;
        this.error("line-break-in-value", `the value of \`\${${name}}\` holds a line break (CR or LF)`, part.span, "mailchat ends every line itself and never sends a line break from a variable (it would smuggle a second command); use `send raw` for exact bytes");
        ok = false;
        continue;
      }
      parts.push(value);
    }
    if (!ok) return undefined;
    // Merge adjacent strings so the runtime sees the fewest parts.
    const merged: RuntimeText["parts"] = [];
    for (const p of parts) {
      const last = merged[merged.length - 1];
      if (typeof p === "string" && typeof last === "string") merged[merged.length - 1] = last + p;
      else merged.push(p);
    }
    return { parts: merged };
  }

  /** One interpolation: its value, a reference to a capture, or false (reported). */
  private resolve(part: Exclude<A.TemplatePart, { kind: "text" }>): string | RuntimeText["parts"][number] | false {
    const fallback = part.fallback?.parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
    if (part.kind === "env") {
      const value = this.env[part.name] ?? fallback;
      if (value !== undefined) return value;
      this.error("unset-env", `the environment variable \`${part.name}\` is not set`, part.span, `export ${part.name}=… before running, or write \`\${env.${part.name}:-default}\``);
      return false;
    }
    const variable = this.vars.get(part.name);
    if (variable?.known) return variable.value;
    if (variable) {
      const ref: { capture: string; fallback?: string; span: A.Span } = { capture: part.name, span: part.span };
      if (fallback !== undefined) ref.fallback = fallback;
      return ref;
    }
    if (fallback !== undefined) return fallback;
    const suggestion = closest(part.name, [...this.vars.keys()]);
    this.error(
      "unknown-variable",
      `\`\${${part.name}}\` is not defined at this point`,
      part.span,
      suggestion ? `did you mean \`\${${suggestion}}\`?` : `declare it with \`param ${part.name}\` and pass --var ${part.name}=VALUE, or \`set ${part.name} = …\` before this line`,
    );
    return false;
  }
}
