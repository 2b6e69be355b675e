// The grammar of .mailchat, as Chevrotain rules and nothing else: no actions, no values.
// grammar/visitor.ts turns the CST into the AST; scripts/diagrams.ts draws these rules.
import type { IParserErrorMessageProvider, TokenType, IToken, ILookaheadStrategy, IOrAlt } from "chevrotain";
import { CstParser, LLkLookaheadStrategy } from "./chevrotain.js";
import * as T from "./tokens.js";

function describeToken(token: IToken): string {
  if (token.tokenType.name === "EOF") return "the end of the script";
  if (token.tokenType === T.Newline || token.tokenType === T.LineNewline) return "the end of the line";
  return `\`${token.image.replace(/\r?\n$/, "")}\``;
}

function labelOf(type: TokenType): string {
  return type.LABEL ?? type.name;
}

function joinAlternatives(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

const RULE_WORDS: Record<string, string> = {
  connectStatement: "`connect`",
  sendStatement: "`send`",
  sendRawStatement: "`send raw`",
  expectStatement: "`expect`",
  starttlsStatement: "`starttls`",
  authStatement: "`auth`",
  dataBlockStatement: "`data`",
  dataFileStatement: "`data file`",
  dataMessageStatement: "`data message`",
  setStatement: "`set`",
  paramStatement: "`param`",
  timeoutStatement: "`timeout`",
  closeStatement: "`close`",
  includeStatement: "`include`",
  allowStatement: "`allow`",
  maskStatement: "`mask`",
  pipelineStatement: "`pipeline`",
  bdatBlockStatement: "`bdat`",
  bdatFileStatement: "`bdat file`",
  probeStatement: "`probe`",
  useStatement: "`use`",
};

function inRule(ruleName: string): string {
  const word = RULE_WORDS[ruleName];
  return word ? ` in ${word}` : "";
}

/** Chevrotain's messages, rephrased for people who read telnet transcripts, not grammars. */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    if (expected === T.Newline) return `unexpected ${describeToken(actual)}${inRule(ruleName)}: the statement should end before it`;
    if (expected === T.Comparison && ruleName === "setStatement") return `expected \`=\` in \`set\`, found ${describeToken(actual)}`;
    return `expected ${labelOf(expected)}${inRule(ruleName)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    // Every statement ends its line, so what is left over always stands where a statement should.
    return `expected a statement, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const firsts = expectedPathsPerAlt.flatMap((paths) => paths.map((path) => labelOf(path[0]!)));
    if (ruleName === "statement") return `expected a statement (${T.STATEMENT_KEYWORDS.join(", ")}), found ${describeToken(actual[0]!)}`;
    return `expected ${joinAlternatives(firsts)}${inRule(ruleName)}, found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const firsts = expectedIterationPaths.map((path) => labelOf(path[0]!));
    return `expected at least one of ${joinAlternatives(firsts)}${inRule(ruleName)}, found ${describeToken(actual[0]!)}`;
  },
};

// Chevrotain calls an OR's lookahead with the alternatives, an OPTION's or MANY's with nothing.
type Lookahead = (this: unknown, alternatives?: unknown) => unknown;

/**
 * Chevrotain's LL(k) lookahead, each decision's function built the first time the decision is
 * met rather than all of them when the parser is made: a short script meets few of them, and
 * the parser is made on every run of the command. Same functions, same answers.
 */
function lazyLookahead(maxLookahead: number): ILookaheadStrategy {
  const llk = new LLkLookaheadStrategy({ maxLookahead });
  const lazily = (build: () => Lookahead): Lookahead => {
    let built: Lookahead | undefined;
    // One parameter, not `...args`: this runs at every decision, and a rest array is made per call.
    return function (this: unknown, alternatives?: unknown) {
      built ??= build();
      return built.call(this, alternatives);
    };
  };
  return {
    validate: (options) => llk.validate(options),
    buildLookaheadForAlternation: (options) => lazily(() => llk.buildLookaheadForAlternation(options) as Lookahead) as ReturnType<ILookaheadStrategy["buildLookaheadForAlternation"]>,
    buildLookaheadForOptional: (options) => lazily(() => llk.buildLookaheadForOptional(options) as Lookahead) as ReturnType<ILookaheadStrategy["buildLookaheadForOptional"]>,
  };
}

export class MailchatParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      errorMessageProvider: errorMessages,
      // Grammar validations belong in the tests (MAILCHAT_VALIDATE_GRAMMAR=1), not in every run.
      skipValidations: process.env.MAILCHAT_VALIDATE_GRAMMAR !== "1",
      maxLookahead: 2,
      lookaheadStrategy: lazyLookahead(2),
    });
    this.performSelfAnalysis();
  }

  // Each OR's alternatives, made on its first call and kept: Chevrotain's guide (Performance,
  // "Caching arrays of alternatives") advises it, as an OR otherwise builds its array and
  // closures on every call: 21 of each per statement. No alternative captures more than `this`.
  private readonly alternatives: IOrAlt<unknown>[][] = [];

  public script = this.RULE("script", () => {
    this.MANY(() => {
      this.OR((this.alternatives[0] ??= [{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.statement) }]));
    });
  });

  public statement = this.RULE("statement", () => {
    this.OR((this.alternatives[1] ??= [
      { ALT: () => this.SUBRULE(this.connectStatement) },
      { ALT: () => this.SUBRULE(this.sendRawStatement) },
      { ALT: () => this.SUBRULE(this.sendStatement) },
      { ALT: () => this.SUBRULE(this.expectStatement) },
      { ALT: () => this.SUBRULE(this.starttlsStatement) },
      { ALT: () => this.SUBRULE(this.authStatement) },
      { ALT: () => this.SUBRULE(this.dataBlockStatement) },
      { ALT: () => this.SUBRULE(this.dataFileStatement) },
      { ALT: () => this.SUBRULE(this.dataMessageStatement) },
      { ALT: () => this.SUBRULE(this.setStatement) },
      { ALT: () => this.SUBRULE(this.paramStatement) },
      { ALT: () => this.SUBRULE(this.timeoutStatement) },
      { ALT: () => this.SUBRULE(this.closeStatement) },
      { ALT: () => this.SUBRULE(this.includeStatement) },
      { ALT: () => this.SUBRULE(this.allowStatement) },
      { ALT: () => this.SUBRULE(this.maskStatement) },
      { ALT: () => this.SUBRULE(this.pipelineStatement) },
      { ALT: () => this.SUBRULE(this.bdatBlockStatement) },
      { ALT: () => this.SUBRULE(this.bdatFileStatement) },
      { ALT: () => this.SUBRULE(this.probeStatement) },
      { ALT: () => this.SUBRULE(this.useStatement) },
    ]));
  });

  public connectStatement = this.RULE("connectStatement", () => {
    this.CONSUME(T.Connect);
    this.OPTION3(() => this.CONSUME(T.Mx));
    this.SUBRULE(this.value, { LABEL: "url" });
    this.OPTION2(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.WordLike, { LABEL: "name" });
    });
    this.MANY2(() => this.SUBRULE(this.addressOption));
    this.OPTION(() => {
      this.CONSUME(T.Timeout);
      this.CONSUME(T.Duration);
    });
    this.OPTION4(() => this.SUBRULE(this.proxyClause));
    this.MANY(() => this.SUBRULE(this.tlsOption));
    this.CONSUME(T.Newline);
  });

  /** `proxy v1|v2 client ADDRESS[:PORT] [server ADDRESS:PORT]`: a PROXY protocol header first. */
  public proxyClause = this.RULE("proxyClause", () => {
    this.CONSUME(T.Proxy);
    this.SUBRULE3(this.value, { LABEL: "proxyVersion" });
    this.CONSUME(T.Client);
    this.SUBRULE(this.value, { LABEL: "client" });
    this.OPTION(() => {
      this.CONSUME(T.Server);
      this.SUBRULE2(this.value, { LABEL: "server" });
    });
  });

  /** `ipv4`, `ipv6` (in the order written) and `from ADDR`: which addresses, sent from where. */
  public addressOption = this.RULE("addressOption", () => {
    this.OR((this.alternatives[2] ??= [
      { ALT: () => this.CONSUME(T.Ipv4) },
      { ALT: () => this.CONSUME(T.Ipv6) },
      { ALT: () => { this.CONSUME(T.From); this.SUBRULE(this.value); } },
    ]));
  });

  public tlsOption = this.RULE("tlsOption", () => {
    this.OR((this.alternatives[3] ??= [
      { ALT: () => { this.CONSUME(T.Version); this.CONSUME1(T.WordLike, { LABEL: "tlsVersion" }); } },
      { ALT: () => { this.CONSUME(T.Min); this.CONSUME2(T.WordLike, { LABEL: "tlsVersion" }); } },
      { ALT: () => { this.CONSUME(T.Max); this.CONSUME3(T.WordLike, { LABEL: "tlsVersion" }); } },
      { ALT: () => { this.CONSUME(T.ServerName); this.SUBRULE(this.value); } },
      { ALT: () => { this.CONSUME(T.Ciphers); this.SUBRULE1(this.value); } },
      { ALT: () => { this.CONSUME(T.Verify); this.CONSUME(T.Off); } },
      { ALT: () => { this.CONSUME(T.Alpn); this.SUBRULE2(this.value); } },
      { ALT: () => { this.CONSUME(T.Cert); this.SUBRULE3(this.value); } },
      { ALT: () => { this.CONSUME(T.Key); this.SUBRULE4(this.value); } },
      { ALT: () => { this.CONSUME(T.Chain); this.SUBRULE5(this.value); } },
    ]));
  });

  public sendStatement = this.RULE("sendStatement", () => {
    this.CONSUME(T.Send);
    this.OPTION(() => this.CONSUME(T.LineText));
    this.CONSUME(T.Newline);
  });

  public sendRawStatement = this.RULE("sendRawStatement", () => {
    this.CONSUME(T.SendRaw);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.Newline);
  });

  public expectStatement = this.RULE("expectStatement", () => {
    this.CONSUME(T.Expect);
    this.OR((this.alternatives[4] ??= [
      { ALT: () => this.SUBRULE(this.tlsCheck) },
      { ALT: () => this.SUBRULE(this.certCheck) },
      { ALT: () => this.SUBRULE(this.timingCheck) },
      { ALT: () => this.SUBRULE(this.dnsCheck) },
      { ALT: () => this.AT_LEAST_ONE(() => this.SUBRULE(this.matcher)) },
    ]));
    this.CONSUME(T.Newline);
  });

  public tlsCheck = this.RULE("tlsCheck", () => {
    this.CONSUME(T.Tls);
    this.OR((this.alternatives[5] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Version);
          this.CONSUME(T.Comparison);
          this.CONSUME(T.WordLike, { LABEL: "tlsVersion" });
          this.OPTION(() => {
            this.CONSUME(T.Warn);
            this.CONSUME1(T.WordLike, { LABEL: "warnVersion" });
          });
        },
      },
      { ALT: () => { this.CONSUME(T.Cipher); this.SUBRULE(this.textPattern); } },
      { ALT: () => { this.CONSUME(T.Alpn); this.SUBRULE1(this.textPattern); } },
      { ALT: () => this.CONSUME(T.Refused) },
    ]));
  });

  public certCheck = this.RULE("certCheck", () => {
    this.CONSUME(T.Cert);
    this.OR((this.alternatives[6] ??= [
      { ALT: () => this.CONSUME(T.Verified) },
      {
        ALT: () => {
          this.CONSUME(T.Expires);
          this.CONSUME(T.Comparison);
          this.CONSUME(T.Duration);
          this.OPTION3(() => {
            this.CONSUME(T.Warn);
            this.CONSUME1(T.Duration, { LABEL: "warnDuration" });
          });
        },
      },
      { ALT: () => { this.CONSUME(T.Subject); this.SUBRULE1(this.textPattern); } },
      { ALT: () => { this.CONSUME(T.Issuer); this.SUBRULE2(this.textPattern); } },
      { ALT: () => { this.CONSUME(T.San); this.SUBRULE3(this.textPattern); } },
      {
        ALT: () => {
          this.CONSUME(T.Chain);
          this.OR2((this.alternatives[16] ??= [{ ALT: () => this.CONSUME(T.Complete) }, { ALT: () => { this.CONSUME(T.Includes); this.SUBRULE4(this.textPattern); } }]));
        },
      },
      { ALT: () => { this.CONSUME(T.Fingerprint); this.SUBRULE(this.value, { LABEL: "fingerprint" }); } },
      {
        ALT: () => {
          this.CONSUME(T.Key);
          this.OPTION(() => this.CONSUME(T.Word, { LABEL: "keyType" }));
          this.OPTION2(() => {
            this.CONSUME2(T.Comparison);
            this.CONSUME2(T.WordLike, { LABEL: "keyBits" });
          });
        },
      },
      { ALT: () => { this.CONSUME(T.Signature); this.SUBRULE5(this.textPattern); } },
      { ALT: () => { this.CONSUME(T.Ocsp); this.CONSUME3(T.WordLike, { LABEL: "ocspStatus" }); } },
    ]));
  });

  public matcher = this.RULE("matcher", () => {
    this.OR((this.alternatives[7] ??= [
      { ALT: () => this.CONSUME(T.ReplyCode) },
      { ALT: () => this.CONSUME(T.EnhancedCode) },
      { ALT: () => this.CONSUME(T.PopStatus) },
      { ALT: () => this.CONSUME(T.ImapStatus) },
      // IMAP: the completion of the command sent with this tag, whenever it comes (`tag2 OK`).
      { ALT: () => this.CONSUME(T.TaggedStatus) },
      { ALT: () => this.CONSUME(T.Continuation) },
      { ALT: () => this.CONSUME(T.ResponseCode) },
      { ALT: () => this.SUBRULE(this.textPattern) },
      { ALT: () => this.SUBRULE(this.capabilityCheck) },
      { ALT: () => { this.CONSUME(T.Untagged); this.CONSUME(T.StringLiteral, { LABEL: "response" }); } },
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.OR2((this.alternatives[17] ??= [
            { ALT: () => this.SUBRULE1(this.textPattern) },
            { ALT: () => this.SUBRULE1(this.capabilityCheck) },
            { ALT: () => { this.CONSUME1(T.Untagged); this.CONSUME1(T.StringLiteral, { LABEL: "response" }); } },
          ]));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Within);
          this.CONSUME1(T.Duration);
          this.OPTION(() => {
            this.CONSUME(T.Warn);
            this.CONSUME3(T.Duration, { LABEL: "warnDuration" });
          });
        },
      },
      { ALT: () => this.CONSUME(T.Closed) },
      { ALT: () => { this.CONSUME(T.Silence); this.CONSUME2(T.Duration); } },
      { ALT: () => this.CONSUME(T.Any) },
    ]));
  });

  /** `expect connect within 1s warn 200ms`: a time the run measured, held to a threshold. */
  public timingCheck = this.RULE("timingCheck", () => {
    this.OR((this.alternatives[8] ??= [{ ALT: () => this.CONSUME(T.Connect) }, { ALT: () => this.CONSUME(T.Handshake) }, { ALT: () => this.CONSUME(T.Session) }]));
    this.CONSUME(T.Within);
    this.CONSUME(T.Duration);
    this.OPTION(() => {
      this.CONSUME(T.Warn);
      this.CONSUME1(T.Duration, { LABEL: "warnDuration" });
    });
  });

  public capabilityCheck = this.RULE("capabilityCheck", () => {
    this.CONSUME(T.Capability);
    this.CONSUME(T.WordLike, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.Word, { LABEL: "param" }));
  });

  public textPattern = this.RULE("textPattern", () => {
    this.OR((this.alternatives[9] ??= [{ ALT: () => this.CONSUME(T.StringLiteral) }, { ALT: () => this.CONSUME(T.RegexLiteral) }]));
  });

  /** DNS facts of the connection: `expect mx "a" "b"`, `expect [local] rdns confirmed|"name"|/re/`,
   *  `expect dane OUTCOME`, `expect mta-sts MODE|valid`. */
  public dnsCheck = this.RULE("dnsCheck", () => {
    this.OR((this.alternatives[10] ??= [
      { ALT: () => { this.CONSUME(T.Mx); this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral, { LABEL: "mxHost" })); } },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Local));
          this.CONSUME(T.Rdns);
          this.OR2((this.alternatives[18] ??= [{ ALT: () => this.SUBRULE(this.textPattern) }, { ALT: () => this.CONSUME(T.WordLike, { LABEL: "rdnsWord" }) }]));
        },
      },
      { ALT: () => { this.CONSUME(T.Dane); this.CONSUME1(T.WordLike, { LABEL: "outcome" }); } },
      { ALT: () => { this.CONSUME(T.MtaSts); this.CONSUME2(T.WordLike, { LABEL: "outcome" }); } },
    ]));
  });

  public starttlsStatement = this.RULE("starttlsStatement", () => {
    this.CONSUME(T.StartTls);
    this.MANY(() => this.SUBRULE(this.tlsOption));
    this.CONSUME(T.Newline);
  });

  public authStatement = this.RULE("authStatement", () => {
    this.CONSUME(T.Auth);
    this.CONSUME(T.WordLike, { LABEL: "mechanism" });
    this.SUBRULE(this.value, { LABEL: "user" });
    this.SUBRULE1(this.value, { LABEL: "secret" });
    this.CONSUME(T.Newline);
  });

  public dataBlockStatement = this.RULE("dataBlockStatement", () => {
    this.CONSUME(T.DataBlock);
    this.MANY(() => this.CONSUME(T.BodyLine));
    this.CONSUME(T.BodyEnd);
  });

  public dataFileStatement = this.RULE("dataFileStatement", () => {
    this.CONSUME(T.Data);
    this.CONSUME(T.File);
    this.SUBRULE(this.value);
    this.CONSUME(T.Newline);
  });

  /** A message mailchat builds (MIME, Date and Message-ID made at run time): alone, the
   *  default test message; with a block up to `end`, headers, body and attachments. */
  public dataMessageStatement = this.RULE("dataMessageStatement", () => {
    this.CONSUME(T.Data);
    this.CONSUME(T.Message);
    this.CONSUME(T.Newline);
    this.OPTION(() => {
      this.MANY(() => {
        this.OR((this.alternatives[11] ??= [{ ALT: () => this.CONSUME1(T.Newline) }, { ALT: () => { this.SUBRULE(this.messagePart); this.CONSUME2(T.Newline); } }]));
      });
      this.CONSUME(T.End);
      this.CONSUME3(T.Newline);
    });
  });

  public messagePart = this.RULE("messagePart", () => {
    this.OR((this.alternatives[12] ??= [
      { ALT: () => { this.CONSUME(T.Header); this.CONSUME(T.WordLike, { LABEL: "name" }); this.SUBRULE(this.value, { LABEL: "text" }); } },
      {
        ALT: () => {
          this.CONSUME(T.Body);
          this.OR2((this.alternatives[19] ??= [{ ALT: () => { this.CONSUME(T.File); this.SUBRULE1(this.value, { LABEL: "bodyFile" }); } }, { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "bodyText" }) }]));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Attach);
          this.SUBRULE2(this.value, { LABEL: "attachment" });
          this.MANY(() => {
            this.OR3((this.alternatives[20] ??= [{ ALT: () => { this.CONSUME(T.As); this.SUBRULE3(this.value, { LABEL: "filename" }); } }, { ALT: () => { this.CONSUME(T.Type); this.SUBRULE4(this.value, { LABEL: "contentType" }); } }]));
          });
        },
      },
    ]));
  });

  public setStatement = this.RULE("setStatement", () => {
    this.CONSUME(T.Set);
    this.CONSUME(T.WordLike, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.Secret));
    this.CONSUME(T.Comparison);
    this.SUBRULE(this.value);
    this.CONSUME(T.Newline);
  });

  public paramStatement = this.RULE("paramStatement", () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.WordLike, { LABEL: "name" });
    this.OPTION3(() => this.CONSUME(T.Secret));
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
    this.OPTION2(() => {
      this.CONSUME(T.Default);
      this.SUBRULE(this.value);
    });
    this.CONSUME(T.Newline);
  });

  public timeoutStatement = this.RULE("timeoutStatement", () => {
    this.CONSUME(T.Timeout);
    this.CONSUME(T.Duration);
    this.CONSUME(T.Newline);
  });

  public closeStatement = this.RULE("closeStatement", () => {
    this.CONSUME(T.Close);
    this.CONSUME(T.Newline);
  });

  public includeStatement = this.RULE("includeStatement", () => {
    this.CONSUME(T.Include);
    this.SUBRULE(this.value);
    this.CONSUME(T.Newline);
  });

  public allowStatement = this.RULE("allowStatement", () => {
    this.CONSUME(T.Allow);
    this.CONSUME(T.WordLike, { LABEL: "what" });
    this.CONSUME(T.Newline);
  });

  public maskStatement = this.RULE("maskStatement", () => {
    this.CONSUME(T.Mask);
    this.CONSUME(T.RegexLiteral);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.Newline);
  });

  /** Commands sent in one write (RFC 2920); their `expect`s follow the block, in order. */
  public pipelineStatement = this.RULE("pipelineStatement", () => {
    this.CONSUME(T.Pipeline);
    this.CONSUME(T.Newline);
    this.MANY(() => {
      this.OR((this.alternatives[13] ??= [{ ALT: () => this.CONSUME1(T.Newline) }, { ALT: () => this.SUBRULE(this.sendStatement) }]));
    });
    this.CONSUME(T.End);
    this.CONSUME2(T.Newline);
  });

  public bdatBlockStatement = this.RULE("bdatBlockStatement", () => {
    this.CONSUME(T.BdatBlock);
    this.MANY(() => this.CONSUME(T.BodyLine));
    this.CONSUME(T.BodyEnd);
  });

  public bdatFileStatement = this.RULE("bdatFileStatement", () => {
    this.CONSUME(T.Bdat);
    this.CONSUME(T.File);
    this.SUBRULE(this.value);
    this.MANY(() => {
      this.OR((this.alternatives[14] ??= [
        { ALT: () => { this.CONSUME(T.Chunk); this.CONSUME(T.WordLike, { LABEL: "size" }); } },
        { ALT: () => this.CONSUME(T.Binary) },
      ]));
    });
    this.CONSUME(T.Newline);
  });

  /** `probe end-of-data "\n.\n"`: how the server treats a non-canonical end of data. */
  public probeStatement = this.RULE("probeStatement", () => {
    this.CONSUME(T.Probe);
    this.CONSUME(T.WordLike, { LABEL: "what" });
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => {
      this.CONSUME(T.Within);
      this.CONSUME(T.Duration);
    });
    this.CONSUME(T.Newline);
  });

  /** `use NAME`: the following steps act on the session `connect … as NAME` opened. */
  public useStatement = this.RULE("useStatement", () => {
    this.CONSUME(T.Use);
    this.CONSUME(T.WordLike, { LABEL: "name" });
    this.CONSUME(T.Newline);
  });

  /** A value: a word (which may hold `${...}`) or a quoted string. */
  public value = this.RULE("value", () => {
    this.OR((this.alternatives[15] ??= [{ ALT: () => this.CONSUME(T.WordLike) }, { ALT: () => this.CONSUME(T.StringLiteral) }]));
  });
}

let parser: MailchatParser | undefined;
export function mailchatParser(): MailchatParser {
  parser ??= new MailchatParser();
  return parser;
}
