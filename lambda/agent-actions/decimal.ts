/**
 * Exact arithmetic on decimal expressions (+ - * / and parentheses), the thing a language model
 * gets wrong: numbers are rationals of BigInts, so 0.1 + 0.2 is 0.3 and 20-digit products are
 * exact. No eval: a small recursive-descent parser with bounds on length, digits, nesting and size.
 */

export const MAX_EXPRESSION_CHARS = 500;
/** Digits of one number literal. */
export const MAX_LITERAL_DIGITS = 40;
const MAX_DEPTH = 50;
/** Digits of a numerator or denominator at any step: past it the result is refused, not computed. */
const MAX_RESULT_DIGITS = 200;
/** Fraction digits shown for results that have no finite decimal form (1/3). */
export const REPEATING_DIGITS = 20;

/** The expression is not one this calculator reads, or its value does not exist (division by zero). */
export class CalculationError extends Error {}

interface Rational {
  readonly n: bigint;
  /** Always positive. */
  readonly d: bigint;
}

export interface Calculation {
  /** The exact value as a decimal, or rounded to REPEATING_DIGITS when it has no finite decimal form. */
  readonly value: string;
  readonly exact: boolean;
  /** The exact value as a reduced fraction (`1/3`), when it is not an integer. */
  readonly fraction?: string;
}

export function calculate(expression: string): Calculation {
  if (expression.length > MAX_EXPRESSION_CHARS) throw new CalculationError(`the expression must be at most ${MAX_EXPRESSION_CHARS} characters`);
  const parser = new Parser(expression);
  const value = parser.parse();
  return present(value);
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Rational {
    const value = this.sum(0);
    this.skipSpace();
    if (this.pos < this.text.length) throw new CalculationError(`unexpected ${JSON.stringify(this.text[this.pos])} at position ${this.pos + 1}`);
    return value;
  }

  private sum(depth: number): Rational {
    let value = this.product(depth);
    for (;;) {
      const op = this.peekOp('+-');
      if (!op) return value;
      this.pos++;
      const right = this.product(depth);
      value = op === '+' ? add(value, right) : add(value, { n: -right.n, d: right.d });
    }
  }

  private product(depth: number): Rational {
    let value = this.unary(depth);
    for (;;) {
      const op = this.peekOp('*/');
      if (!op) return value;
      this.pos++;
      const right = this.unary(depth);
      if (op === '/' && right.n === 0n) throw new CalculationError('division by zero');
      value = op === '*' ? multiply(value, right) : multiply(value, { n: right.n < 0n ? -right.d : right.d, d: right.n < 0n ? -right.n : right.n });
    }
  }

  private unary(depth: number): Rational {
    const op = this.peekOp('+-');
    if (op) {
      if (depth >= MAX_DEPTH) throw new CalculationError(`the expression nests deeper than ${MAX_DEPTH} levels`);
      this.pos++;
      const value = this.unary(depth + 1);
      return op === '-' ? { n: -value.n, d: value.d } : value;
    }
    return this.atom(depth);
  }

  private atom(depth: number): Rational {
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      if (depth >= MAX_DEPTH) throw new CalculationError(`the expression nests deeper than ${MAX_DEPTH} levels`);
      this.pos++;
      const value = this.sum(depth + 1);
      this.skipSpace();
      if (this.text[this.pos] !== ')') throw new CalculationError(`missing ")" at position ${this.pos + 1}`);
      this.pos++;
      return value;
    }
    const match = /^(\d+(?:\.\d*)?|\.\d+)/.exec(this.text.slice(this.pos));
    if (!match) {
      throw new CalculationError(
        this.pos >= this.text.length ? 'the expression ends where a number was expected' : `expected a number at position ${this.pos + 1}`,
      );
    }
    this.pos += match[0].length;
    const [whole, fraction = ''] = match[0].split('.');
    if (whole.length + fraction.length > MAX_LITERAL_DIGITS) throw new CalculationError(`numbers may have at most ${MAX_LITERAL_DIGITS} digits`);
    return reduce({ n: BigInt((whole || '0') + fraction), d: 10n ** BigInt(fraction.length) });
  }

  private peekOp(ops: string): string | undefined {
    this.skipSpace();
    const c = this.text[this.pos];
    return c !== undefined && ops.includes(c) ? c : undefined;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }
}

function add(a: Rational, b: Rational): Rational {
  return reduce({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
}

function multiply(a: Rational, b: Rational): Rational {
  return reduce({ n: a.n * b.n, d: a.d * b.d });
}

function reduce(r: Rational): Rational {
  const g = gcd(r.n < 0n ? -r.n : r.n, r.d);
  const out = g > 1n ? { n: r.n / g, d: r.d / g } : r;
  if (digits(out.n) > MAX_RESULT_DIGITS || digits(out.d) > MAX_RESULT_DIGITS)
    throw new CalculationError(`the result would have more than ${MAX_RESULT_DIGITS} digits`);
  return out;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

const digits = (n: bigint) => (n < 0n ? -n : n).toString().length;

function present(r: Rational): Calculation {
  if (r.d === 1n) return { value: r.n.toString(), exact: true };
  const fraction = `${r.n}/${r.d}`;
  // A reduced fraction has a finite decimal form exactly when its denominator is 2^a * 5^b.
  let rest = r.d;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) [rest, twos] = [rest / 2n, twos + 1];
  while (rest % 5n === 0n) [rest, fives] = [rest / 5n, fives + 1];
  if (rest === 1n) return { value: toDecimal(r, Math.max(twos, fives)), exact: true, fraction };
  return { value: toDecimal(r, REPEATING_DIGITS), exact: false, fraction };
}

/** `r` with `places` fraction digits, rounded half away from zero; trailing zeros dropped. */
function toDecimal(r: Rational, places: number): string {
  const negative = r.n < 0n;
  const scale = 10n ** BigInt(places);
  const abs = negative ? -r.n : r.n;
  let scaled = (abs * scale) / r.d;
  if (((abs * scale) % r.d) * 2n >= r.d) scaled += 1n;
  const text = scaled.toString().padStart(places + 1, '0');
  const whole = text.slice(0, text.length - places);
  const fraction = text.slice(text.length - places).replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && body !== '0' ? `-${body}` : body;
}
