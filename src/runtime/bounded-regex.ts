// A script's own regexes run against what a server sent, and a backtracking pattern
// (`/^220 (a+)+$/`) can take minutes on a short hostile reply. JavaScript cannot interrupt a
// regex, but V8 can stop a script running in a vm context at a deadline, so every match of a
// script regex runs there, bounded by the time its step has left.
import vm from "node:vm";

export class RegexTimeout extends Error {
  constructor(
    readonly source: string,
    readonly ms: number,
  ) {
    super(`the regex ${source} ran for more than ${ms} ms and was stopped (it backtracks: simplify nested quantifiers such as (a+)+)`);
  }
}

let context: vm.Context | undefined;
let script: vm.Script | undefined;

/** `regex.exec(text)`, stopped after `timeoutMs`. */
export function boundedExec(regex: RegExp, text: string, timeoutMs: number, source = `/${regex.source}/${regex.flags}`): RegExpExecArray | null {
  if (!context || !script) {
    context = vm.createContext({});
    vm.runInContext("globalThis.exec = function (re, text) { re.lastIndex = 0; return re.exec(text); }", context);
    script = new vm.Script("exec(re, text)");
  }
  context.re = regex;
  context.text = text;
  const ms = Math.max(1, Math.floor(timeoutMs));
  try {
    return script.runInContext(context, { timeout: ms }) as RegExpExecArray | null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw new RegexTimeout(source, ms);
    throw error;
  } finally {
    context.re = undefined;
    context.text = undefined;
  }
}
