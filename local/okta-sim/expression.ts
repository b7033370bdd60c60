/**
 * The SCIM-style expressions Okta accepts in `search` and `filter` query parameters (and the System Log `filter`):
 * `attr op "value"` comparisons joined with `and`/`or`, `not`, parentheses, and `attr pr`. Operators and logical words are
 * case-insensitive; attribute names are case-sensitive. Values are double-quoted strings, numbers, `true`, `false`, `null`.
 */

export type CompareOp = 'eq' | 'ne' | 'sw' | 'ew' | 'co' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'compare'; path: string; op: CompareOp; value: Literal }
  | { kind: 'present'; path: string };

export type Condition = Extract<Expr, { kind: 'compare' | 'present' }>;

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'sw', 'ew', 'co', 'gt', 'ge', 'lt', 'le']);

type Token = { type: 'lparen' | 'rparen' } | { type: 'string'; value: string } | { type: 'word'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch === '(' ? 'lparen' : 'rparen' });
      i++;
    } else if (ch === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ExpressionError('unterminated string literal');
        const c = text[i] ?? '';
        if (c === '\\') {
          value += text[i + 1] ?? '';
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'string', value });
    } else {
      const match = /^[^\s()"]+/.exec(text.slice(i));
      if (!match) throw new ExpressionError(`unexpected character "${ch}"`);
      tokens.push({ type: 'word', value: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

function literal(token: Token | undefined): Literal {
  if (!token || token.type === 'lparen' || token.type === 'rparen') throw new ExpressionError('expected a value');
  if (token.type === 'string') return token.value;
  if (token.type !== 'word') throw new ExpressionError('expected a value');
  const word = token.value;
  if (/^(true|false)$/i.test(word)) return word.toLowerCase() === 'true';
  if (/^null$/i.test(word)) return null;
  if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
  throw new ExpressionError(`expected a quoted string, number, true, false or null; got "${word}"`);
}

/** Parses an expression; throws `ExpressionError` with a short reason. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ExpressionError('empty expression');
  let pos = 0;
  const peekWord = (): string | undefined => {
    const t = tokens[pos];
    return t?.type === 'word' ? t.value.toLowerCase() : undefined;
  };

  const parseOr = (): Expr => {
    let left = parseAnd();
    while (peekWord() === 'or') {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expr => {
    let left = parseUnary();
    while (peekWord() === 'and') {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Expr => {
    if (peekWord() === 'not') {
      pos++;
      return { kind: 'not', expr: parseUnary() };
    }
    const t = tokens[pos];
    if (t?.type === 'lparen') {
      pos++;
      const inner = parseOr();
      if (tokens[pos]?.type !== 'rparen') throw new ExpressionError('missing ")"');
      pos++;
      return inner;
    }
    if (t?.type !== 'word') throw new ExpressionError('expected an attribute name');
    const path = t.value;
    if (!/^[A-Za-z_$][\w$.:-]*$/.test(path)) throw new ExpressionError(`invalid attribute name "${path}"`);
    pos++;
    const op = peekWord();
    if (op === 'pr') {
      pos++;
      return { kind: 'present', path };
    }
    if (!op || !COMPARE_OPS.has(op)) throw new ExpressionError(`expected an operator after "${path}"`);
    pos++;
    const value = literal(tokens[pos]);
    pos++;
    return { kind: 'compare', path, op: op as CompareOp, value };
  };

  const expr = parseOr();
  if (pos < tokens.length) throw new ExpressionError('unexpected text after the expression');
  return expr;
}

/** Every comparison in the expression (to check which attributes and operators an endpoint allows). */
export function conditions(expr: Expr): Condition[] {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return [...conditions(expr.left), ...conditions(expr.right)];
    case 'not':
      return conditions(expr.expr);
    default:
      return [expr];
  }
}

export interface EvaluateOptions {
  /** Compare strings ignoring case (Okta's `search` does; `filter` is case-sensitive). */
  caseInsensitive?: boolean;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function compareOne(actual: unknown, op: CompareOp, expected: Literal, options: EvaluateOptions): boolean {
  if (op === 'ne') return !compareOne(actual, 'eq', expected, options);
  if (expected === null) return op === 'eq' && (actual === null || actual === undefined);
  if (actual === null || actual === undefined) return false;
  if (typeof expected === 'boolean') return op === 'eq' && actual === expected;
  if (typeof expected === 'number') {
    const n = typeof actual === 'number' ? actual : Number(actual);
    if (Number.isNaN(n)) return false;
    return ordered(n - expected, op);
  }
  let a = String(actual);
  let b = expected;
  if (options.caseInsensitive) {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === b;
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    case 'co':
      return a.includes(b);
    default: {
      if (ISO_DATE.test(String(actual)) && ISO_DATE.test(expected)) {
        return ordered(Date.parse(String(actual)) - Date.parse(expected), op);
      }
      return ordered(a < b ? -1 : a > b ? 1 : 0, op);
    }
  }
}

function ordered(diff: number, op: CompareOp): boolean {
  switch (op) {
    case 'eq':
      return diff === 0;
    case 'gt':
      return diff > 0;
    case 'ge':
      return diff >= 0;
    case 'lt':
      return diff < 0;
    case 'le':
      return diff <= 0;
    default:
      return false;
  }
}

/**
 * Evaluates `expr`; `resolve(path)` returns the attribute's value, or an array of values for multi-valued attributes
 * (such as `target.id` in a LogEvent), which match when any element matches.
 */
export function evaluate(expr: Expr, resolve: (path: string) => unknown, options: EvaluateOptions = {}): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, resolve, options) && evaluate(expr.right, resolve, options);
    case 'or':
      return evaluate(expr.left, resolve, options) || evaluate(expr.right, resolve, options);
    case 'not':
      return !evaluate(expr.expr, resolve, options);
    case 'present': {
      const value = resolve(expr.path);
      if (Array.isArray(value)) return value.some((v) => v !== null && v !== undefined && v !== '');
      return value !== null && value !== undefined && value !== '';
    }
    case 'compare': {
      const value = resolve(expr.path);
      if (Array.isArray(value)) {
        if (expr.op === 'ne') return !value.some((v) => compareOne(v, 'eq', expr.value, options));
        return value.some((v) => compareOne(v, expr.op, expr.value, options));
      }
      return compareOne(value, expr.op, expr.value, options);
    }
  }
}

/** Resolves a dotted path in a JSON value; arrays along the way are flattened (any-match semantics). */
export function resolvePath(root: unknown, path: string): unknown {
  let current: unknown[] = [root];
  let multi = false;
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      if (Array.isArray(value)) {
        multi = true;
        for (const item of value) {
          if (item && typeof item === 'object') next.push((item as Record<string, unknown>)[part]);
        }
      } else if (value && typeof value === 'object') {
        next.push((value as Record<string, unknown>)[part]);
      }
    }
    current = next;
  }
  const flat: unknown[] = [];
  for (const value of current) {
    if (Array.isArray(value)) {
      multi = true;
      flat.push(...value);
    } else {
      flat.push(value);
    }
  }
  return multi ? flat : flat[0];
}
