/** Longest rule source accepted, in UTF-16 code units. */
export const MAX_RULE_LENGTH = 4096;
/** Deepest nesting accepted, so hostile input cannot exhaust the stack of any pass. */
export const MAX_RULE_DEPTH = 64;

export type RuleErrorDetails = {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly length: number;
  readonly expected?: string;
  readonly found?: string;
  readonly source: string;
};

/** 1-based line and column of a 0-based position; `\r\n`, `\n` and `\r` each end a line. */
export function locate(source: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < source.length; i++) {
    const code = source.charCodeAt(i);
    if (code === 10 || (code === 13 && source.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/** "column 12" for one-line rules, "line 2, column 5" otherwise. */
export function describeLocation(source: string, position: number): string {
  const { line, column } = locate(source, position);
  return /[\r\n]/.test(source) ? `line ${line}, column ${column}` : `column ${column}`;
}

export interface RuleProblem {
  readonly position: number;
  readonly length: number;
  readonly expected?: string | undefined;
  readonly found?: string | undefined;
}

/**
 * What a rule that cannot compile throws. The core knows no HTTP statuses: the error
 * catalog answers it as `INVALID_RULE` (`src/errors/core-errors.ts`).
 */
export class RuleError extends Error {
  readonly code = 'INVALID_RULE';

  constructor(
    message: string,
    readonly details: RuleErrorDetails,
  ) {
    super(message);
    this.name = 'RuleError';
  }
}

/** The one error every syntax, type and limit failure becomes; `message` already holds the location. */
export function ruleError(source: string, message: string, problem: RuleProblem): RuleError {
  const { line, column } = locate(source, problem.position);
  const details: RuleErrorDetails = {
    position: problem.position,
    line,
    column,
    length: problem.length,
    ...(problem.expected === undefined ? {} : { expected: problem.expected }),
    ...(problem.found === undefined ? {} : { found: problem.found }),
    source: source.length > MAX_RULE_LENGTH ? source.slice(0, MAX_RULE_LENGTH) : source,
  };
  return new RuleError(message, details);
}

/** Source text for a message: short enough to read, marked when cut. */
export function excerpt(text: string, limit = 24): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
