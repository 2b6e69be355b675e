// The language alone: source text → tokens → CST → AST, with no I/O.
import type { IRecognitionException, ILexingError, IToken, TokenType } from "chevrotain";
import type { Script, Span } from "./ast.js";
import { closest, diagnostic, type Diagnostic } from "./diagnostic.js";
import { mailchatParser } from "./parser.js";
import { allTokens, mailchatLexer, STATEMENT_KEYWORDS, Attach, BdatBlock, Body, BodyEnd, Data, DataBlock, End, Header, LineNewline, Message, Newline, Pipeline, Word } from "./tokens.js";
import { AstBuilder } from "./visitor.js";

export type { Script, Statement, Matcher, Span, Template, TemplatePart } from "./ast.js";
export type { Diagnostic } from "./diagnostic.js";
export { diagnostic, closest } from "./diagnostic.js";
export { parseDuration } from "./visitor.js";

export interface ParseResult {
  script?: Script;
  diagnostics: Diagnostic[];
}

function spanAt(file: string, source: string, offset: number, length: number, line?: number, column?: number): Span {
  let l = line;
  let c = column;
  if (l === undefined || c === undefined || Number.isNaN(l)) {
    const before = source.slice(0, offset);
    l = before.split("\n").length;
    c = offset - before.lastIndexOf("\n");
  }
  return { file, line: l, column: c, start: offset, end: offset + Math.max(length, 1) };
}

function lexingDiagnostic(file: string, source: string, error: ILexingError): Diagnostic {
  const text = source.slice(error.offset, error.offset + Math.max(error.length, 1));
  const span = spanAt(file, source, error.offset, error.length, error.line, error.column);
  if (text.startsWith('"')) return diagnostic("syntax", "this string is not closed by `\"` on the same line", span);
  if (text.startsWith("/")) return diagnostic("syntax", "this regex is not closed by `/` on the same line", span);
  return diagnostic("syntax", `unexpected character \`${text}\``, span);
}

const KEYWORDS = allTokens.filter((t) => t.LABEL?.startsWith("`") && t.LABEL.endsWith("`")).map((t) => t.LABEL!.slice(1, -1));

function parsingDiagnostic(file: string, source: string, error: IRecognitionException, tokens: IToken[]): Diagnostic {
  let token = error.token;
  // At the end of input Chevrotain reports the EOF token, which has no position.
  if (token.tokenType.name === "EOF" || Number.isNaN(token.startOffset)) {
    const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
    token = previous && !Number.isNaN(previous.startOffset) ? previous : token;
  }
  const offset = Number.isNaN(token.startOffset) ? Math.max(source.length - 1, 0) : token.startOffset;
  const image = token.image.replace(/\r?\n$/, "");
  const span = spanAt(file, source, offset, image.length, token.startLine, token.startColumn);
  // A body takes every line up to its `.`: one left open runs to the end of the script, and
  // the last `data` or `bdat` opened it.
  if (error.token.tokenType.name === "EOF" && error.message.includes("end of the message body")) {
    const opening = tokens.findLast((t) => t.tokenType === DataBlock || t.tokenType === BdatBlock);
    if (opening) {
      const word = opening.tokenType === DataBlock ? "data" : "bdat";
      return diagnostic(`unclosed-${word}`, `this \`${word}\` body is not closed by a line holding a single \`.\``, spanAt(file, source, opening.startOffset, 4, opening.startLine, opening.startColumn), "end the message with a line holding only `.`");
    }
  }
  const unclosed = error.message.startsWith("expected `end` in `pipeline`") ? unclosedPipeline(file, source, error.token, tokens) : undefined;
  if (unclosed) return unclosed;
  if (error.message.startsWith("expected a statement")) {
    const suggestion = closest(image, STATEMENT_KEYWORDS);
    return diagnostic("syntax", `\`${image}\` is not a statement`, span, suggestion ? `did you mean \`${suggestion}\`?` : `statements: ${STATEMENT_KEYWORDS.join(", ")}`);
  }
  const suggestion = token.tokenType === Word ? closest(image, KEYWORDS) : undefined;
  return diagnostic("syntax", error.message, span, suggestion ? `did you mean \`${suggestion}\`?` : undefined);
}

function atLineStart(tokens: IToken[], i: number): boolean {
  const before = tokens[i - 1]?.tokenType;
  return before === undefined || before === Newline || before === LineNewline || before === BodyEnd || before === DataBlock || before === BdatBlock;
}

/**
 * A `pipeline` that meets something other than a `send` and has no `end` line after it is
 * unclosed: said at its start, with what stopped it. (With an `end` further on, the stray
 * line is the mistake, and the parser's message at that line says so.)
 */
function unclosedPipeline(file: string, source: string, found: IToken, tokens: IToken[]): Diagnostic | undefined {
  const at = found.tokenType.name === "EOF" || Number.isNaN(found.startOffset) ? Infinity : found.startOffset;
  let opening: IToken | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startOffset >= at) {
      if (token.tokenType === End && atLineStart(tokens, i)) return undefined;
    } else if (token.tokenType === Pipeline && atLineStart(tokens, i)) opening = token;
  }
  if (!opening) return undefined;
  const stopped = at === Infinity ? "the script ends first" : `line ${found.startLine} holds \`${found.image.replace(/\r?\n$/, "").trim() || "something else"}\`, and a \`pipeline\` holds only \`send\` lines`;
  return diagnostic("unclosed-pipeline", "this `pipeline` is not closed by a line holding `end`", spanAt(file, source, opening.startOffset, opening.image.length, opening.startLine, opening.startColumn), `${stopped}: write \`end\` after its last \`send\``);
}

/** What may open a `data message` block on the line after it. */
const MESSAGE_BLOCK = new Set<TokenType | undefined>([Header, Body, Attach, End]);

/** Statements parsed together: a long script's tree is built and dropped a slice at a time. */
const SLICE_TOKENS = 4096;

/**
 * A long script parsed in slices cut between statements. The grammar is a sequence of
 * statements that each end their line, so the slices' statements are the whole's: the whole
 * script's tree (every token's node, alive until the last statement is built) need not exist
 * at once, which kept the garbage collector copying it over and over (a 100,000-line script
 * spent 40% of its check there). A slice that does not parse (a cut inside a pipeline, or a
 * real error) gives undefined, and the caller parses the whole, whose diagnostics are the
 * ones to show.
 */
export function parseInSlices(tokens: IToken[], file: string): { statements: Script["statements"]; diagnostics: Diagnostic[] } | undefined {
  const parser = mailchatParser();
  const builder = new AstBuilder(file);
  const statements: Script["statements"] = [];
  let from = 0;
  let inPipeline = false;
  let lineStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    // A `pipeline` or a `data message` block holds lines up to its `end`: no cut inside.
    if (lineStart && (type === Pipeline || (type === Data && tokens[i + 1]?.tokenType === Message && MESSAGE_BLOCK.has(tokens[i + 3]?.tokenType)))) inPipeline = true;
    else if (lineStart && type === End) inPipeline = false;
    // A message body's lines follow `data` or `bdat` (which hold their own line end): no cut
    // until its closing `.`.
    lineStart = type === Newline || type === LineNewline || type === BodyEnd;
    const last = i === tokens.length - 1;
    if (!last && (i - from < SLICE_TOKENS || inPipeline || !lineStart)) continue;
    parser.input = tokens.slice(from, i + 1);
    const cst = parser.script();
    if (parser.errors.length > 0) return undefined;
    for (const statement of builder.visit(cst) as Script["statements"]) statements.push(statement);
    from = i + 1;
  }
  return { statements, diagnostics: builder.diagnostics };
}

/** Parses one file; `include` is resolved by the compiler, which owns the file system. */
export function parse(source: string, file: string, options: { slices?: boolean } = {}): ParseResult {
  // A final line without a line end is still a line.
  // A byte-order mark (Windows editors) becomes a space: skipped, and every offset stays true.
  const unmarked = source.replace(/^\uFEFF/, " ");
  const text = unmarked.endsWith("\n") ? unmarked : `${unmarked}\n`;
  const lexed = mailchatLexer().tokenize(text);
  if (lexed.errors.length > 0) return { diagnostics: lexed.errors.slice(0, 1).map((e) => lexingDiagnostic(file, text, e)) };
  if (options.slices !== false && lexed.tokens.length > SLICE_TOKENS) {
    const sliced = parseInSlices(lexed.tokens, file);
    if (sliced && sliced.diagnostics.length > 0) return { diagnostics: sliced.diagnostics };
    if (sliced) return { script: { file, source, statements: sliced.statements }, diagnostics: [] };
  }
  const parser = mailchatParser();
  parser.input = lexed.tokens;
  const cst = parser.script();
  if (parser.errors.length > 0) {
    return { diagnostics: parser.errors.slice(0, 1).map((e) => parsingDiagnostic(file, text, e, lexed.tokens)) };
  }
  const builder = new AstBuilder(file);
  const statements = builder.visit(cst) as Script["statements"];
  if (builder.diagnostics.length > 0) return { diagnostics: builder.diagnostics };
  return { script: { file, source, statements }, diagnostics: [] };
}
