import { CalculationError, calculate, MAX_EXPRESSION_CHARS, MAX_LITERAL_DIGITS, REPEATING_DIGITS } from '../../lambda/agent-actions/decimal';

/**
 * The calculator of the agent's `calculate` action, called directly: every answer is compared whole
 * (value, exact, fraction), every refusal by its message. The handler tests (agent-actions.test.ts)
 * cover the envelope around it.
 */
const refusal = (expression: string): string => {
  try {
    calculate(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(CalculationError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to be refused`);
};

describe('values', () => {
  test.each([
    ['1 + 2', { value: '3', exact: true }],
    ['0.1 + 0.2', { value: '0.3', exact: true, fraction: '3/10' }],
    ['2 + 3 * 4', { value: '14', exact: true }],
    ['(2 + 3) * 4', { value: '20', exact: true }],
    ['10 - 4 - 3', { value: '3', exact: true }],
    ['100 / 10 / 5', { value: '2', exact: true }],
    ['5 - 8', { value: '-3', exact: true }],
    ['-3', { value: '-3', exact: true }],
    ['+3', { value: '3', exact: true }],
    ['--3', { value: '3', exact: true }],
    ['-(2 + 3)', { value: '-5', exact: true }],
    ['2 * -3', { value: '-6', exact: true }],
    ['1', { value: '1', exact: true }],
    ['007', { value: '7', exact: true }],
    ['1.', { value: '1', exact: true }],
    ['.25', { value: '0.25', exact: true, fraction: '1/4' }],
    ['1.25', { value: '1.25', exact: true, fraction: '5/4' }],
    ['1.50', { value: '1.5', exact: true, fraction: '3/2' }],
    ['0.05', { value: '0.05', exact: true, fraction: '1/20' }],
    ['1 / 8', { value: '0.125', exact: true, fraction: '1/8' }],
    ['1 / 25', { value: '0.04', exact: true, fraction: '1/25' }],
    ['2 / 4', { value: '0.5', exact: true, fraction: '1/2' }],
    ['6 / 4', { value: '1.5', exact: true, fraction: '3/2' }],
    ['0 / 5', { value: '0', exact: true }],
    ['1\t+\n2', { value: '3', exact: true }],
    [' ( 1 + 2 ) ', { value: '3', exact: true }],
    ['12345678901234567890 * 98765432109876543210', { value: '1219326311370217952237463801111263526900', exact: true }],
  ])('%s', (expression, expected) => {
    expect(calculate(expression)).toEqual(expected);
  });

  test('multiplication by zero is zero, whatever the sign of the other factor', () => {
    expect(calculate('5 * 0')).toEqual({ value: '0', exact: true });
    expect(calculate('-5 * 0')).toEqual({ value: '0', exact: true });
    expect(calculate('0 * -0.5')).toEqual({ value: '0', exact: true });
  });

  test('division by a negative number keeps the sign in the numerator, the denominator positive', () => {
    expect(calculate('1 / -4')).toEqual({ value: '-0.25', exact: true, fraction: '-1/4' });
    expect(calculate('-6 / -4')).toEqual({ value: '1.5', exact: true, fraction: '3/2' });
    expect(calculate('3 / -6')).toEqual({ value: '-0.5', exact: true, fraction: '-1/2' });
    expect(calculate('-6 / 4')).toEqual({ value: '-1.5', exact: true, fraction: '-3/2' });
  });

  test('a negative non-integer result keeps its sign, in the decimal and in the fraction', () => {
    expect(calculate('-0.5')).toEqual({ value: '-0.5', exact: true, fraction: '-1/2' });
    expect(calculate('-1 / 3')).toEqual({ value: '-0.33333333333333333333', exact: false, fraction: '-1/3' });
    expect(calculate('0 - 2 / 3')).toEqual({ value: '-0.66666666666666666667', exact: false, fraction: '-2/3' });
  });

  test(`a value without a finite decimal form is rounded half away from zero to ${REPEATING_DIGITS} digits`, () => {
    expect(calculate('2 / 3')).toEqual({ value: '0.66666666666666666667', exact: false, fraction: '2/3' });
    expect(calculate('1 / 3')).toEqual({ value: '0.33333333333333333333', exact: false, fraction: '1/3' });
    expect(calculate('1 / 30')).toEqual({ value: '0.03333333333333333333', exact: false, fraction: '1/30' });
    expect(calculate('100 + 1 / 6')).toEqual({ value: '100.16666666666666666667', exact: false, fraction: '601/6' });
  });

  test('a value that rounds to zero is "0", never "-0" nor a run of zeros', () => {
    expect(calculate('1 / 3000000000000000000000')).toEqual({ value: '0', exact: false, fraction: '1/3000000000000000000000' });
    expect(calculate('-1 / 3000000000000000000000')).toEqual({ value: '0', exact: false, fraction: '-1/3000000000000000000000' });
  });
});

describe('refusals', () => {
  test.each([
    ['1 2', 'unexpected "2" at position 3'],
    ['1)', 'unexpected ")" at position 2'],
    ['(1 + 2', 'missing ")" at position 7'],
    ['(1 + 2 3)', 'missing ")" at position 8'],
    ['', 'the expression ends where a number was expected'],
    ['1 +', 'the expression ends where a number was expected'],
    ['1 + )', 'expected a number at position 5'],
    ['abc', 'expected a number at position 1'],
    ['x1', 'expected a number at position 1'],
    ['1 / 0', 'division by zero'],
    ['1 / (2 - 2)', 'division by zero'],
  ])('%j: %s', (expression, message) => {
    expect(refusal(expression)).toBe(message);
  });

  test(`an expression of ${MAX_EXPRESSION_CHARS} characters is read, one more is refused`, () => {
    const longest = `1${' '.repeat(MAX_EXPRESSION_CHARS - 1)}`;
    expect(calculate(longest)).toEqual({ value: '1', exact: true });
    expect(refusal(`${longest} `)).toBe(`the expression must be at most ${MAX_EXPRESSION_CHARS} characters`);
  });

  test(`a number of ${MAX_LITERAL_DIGITS} digits is read, one of ${MAX_LITERAL_DIGITS + 1} is refused (fraction digits count)`, () => {
    expect(calculate('9'.repeat(MAX_LITERAL_DIGITS)).value).toBe('9'.repeat(MAX_LITERAL_DIGITS));
    expect(calculate(`${'1'.repeat(20)}.${'1'.repeat(20)}`).value).toBe(`${'1'.repeat(20)}.${'1'.repeat(20)}`);
    expect(refusal('9'.repeat(MAX_LITERAL_DIGITS + 1))).toBe(`numbers may have at most ${MAX_LITERAL_DIGITS} digits`);
    expect(refusal(`${'1'.repeat(20)}.${'1'.repeat(21)}`)).toBe(`numbers may have at most ${MAX_LITERAL_DIGITS} digits`);
  });

  test('50 levels of parentheses or signs are read, 51 are refused', () => {
    expect(calculate(`${'('.repeat(50)}1${')'.repeat(50)}`)).toEqual({ value: '1', exact: true });
    expect(refusal(`${'('.repeat(51)}1${')'.repeat(51)}`)).toBe('the expression nests deeper than 50 levels');
    expect(calculate(`${'-'.repeat(50)}1`)).toEqual({ value: '1', exact: true });
    expect(refusal(`${'-'.repeat(51)}1`)).toBe('the expression nests deeper than 50 levels');
    expect(refusal(`${'-'.repeat(50)}(1)`)).toBe('the expression nests deeper than 50 levels');
  });

  test('a result of 200 digits is computed, one of 201 is refused (numerator or denominator, sign not counted)', () => {
    const e39 = `1${'0'.repeat(39)}`;
    const e199 = `${e39} * ${e39} * ${e39} * ${e39} * ${e39} * 10000`;
    expect(calculate(e199).value).toBe(`1${'0'.repeat(199)}`);
    expect(calculate(`-${e199}`).value).toBe(`-1${'0'.repeat(199)}`);
    expect(refusal(`${e199} * 10`)).toBe('the result would have more than 200 digits');
    expect(refusal(`1 / (${e199}) / 10`)).toBe('the result would have more than 200 digits');
    expect(calculate(`10 / (${e199})`).value).toBe(`0.${'0'.repeat(197)}1`);
    expect(calculate(`1 / (${e199})`)).toEqual({ value: `0.${'0'.repeat(198)}1`, exact: true, fraction: `1/1${'0'.repeat(199)}` });
  });
});
