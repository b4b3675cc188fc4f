import * as z from 'zod/mini';
import { HttpError } from '../../lambda/shared/http';
import { integerOnly, parseRequest, withoutProtoKey } from '../../lambda/shared/validation';
import { refusal } from '../support/refusal';

/**
 * parseRequest (lambda/shared/validation.ts) on its own: every kind of zod issue worded as the
 * client reads it, the field path, hostile keys, and the limit of five problems. The request
 * schemas of each function are tested in their own core tests; these schemas are the smallest
 * that raise each issue.
 */

const field = <T extends z.ZodMiniType>(schema: T) => z.object({ a: schema });

describe('parseRequest: what it returns', () => {
  test('the parsed value, with the schema’s defaults and without unknown fields of a plain object', () => {
    const schema = z.object({ name: z.string(), size: z._default(z.number(), 3) });
    expect(parseRequest(schema, { name: 'x', extra: true })).toEqual({ name: 'x', size: 3 });
  });

  test('an HttpError with status 400 otherwise', () => {
    expect(() => parseRequest(z.string(), 1)).toThrow(HttpError);
  });
});

describe('parseRequest: the field a problem is about', () => {
  test.each<[string, unknown, string]>([
    ['the body itself', 1, 'body must be an object'],
    ['a nested field, by its path', { a: { b: 1 } }, 'a.b must be a string'],
    ['an array element, by its index', { list: ['x', 2] }, 'list.1 must be a string'],
  ])('%s', (_name, value, message) => {
    expect(refusal(z.object({ a: z.optional(z.object({ b: z.string() })), list: z.optional(z.array(z.string())) }), value)).toBe(message);
  });

  test.each<[string, string]>([
    ['a_Z_09', 'rec.a_Z_09 must be a number'],
    ['k'.repeat(40), `rec.${'k'.repeat(40)} must be a number`],
    ['k'.repeat(41), 'rec.<key> must be a number'],
    ['', 'rec.<key> must be a number'],
    ['bad-key', 'rec.<key> must be a number'],
    ['-leading', 'rec.<key> must be a number'],
    ['trailing-', 'rec.<key> must be a number'],
    ['<script>', 'rec.<key> must be a number'],
    ['two\nlines', 'rec.<key> must be a number'],
  ])('a record key from the client (%j) is named only when it is 1-40 letters, digits or _', (key, message) => {
    expect(refusal(z.object({ rec: z.record(z.string(), z.number()) }), { rec: { [key]: 'x' } })).toBe(message);
  });
});

describe('parseRequest: each kind of problem', () => {
  test.each<[string, z.ZodMiniType, unknown, string]>([
    ['a missing field', field(z.string()), {}, 'a is required'],
    ['a field of another type', field(z.string()), { a: 1 }, 'a must be a string'],
    ['null where a string goes', field(z.string()), { a: null }, 'a must be a string'],
    ['an integer expected', field(z.int()), { a: 1.5 }, 'a must be an integer'],
    ['an object expected', field(z.object({})), { a: 1 }, 'a must be an object'],
    ['an array expected', field(z.array(z.string())), { a: 1 }, 'a must be an array'],
    ['a number expected', field(z.number()), { a: '1' }, 'a must be a number'],
    ['a boolean expected', field(z.boolean()), { a: 1 }, 'a must be a boolean'],
    ['an undefined expected', field(z.undefined()), { a: 1 }, 'a must be an undefined'],
    ['a string too long', field(z.string().check(z.maxLength(3))), { a: 'abcd' }, 'a must be at most 3 characters'],
    ['a string too short', field(z.string().check(z.minLength(2))), { a: 'x' }, 'a must be at least 2 characters'],
    ['too many items', field(z.array(z.number()).check(z.maxLength(1))), { a: [1, 2] }, 'a must be at most 1 items'],
    ['too few items', field(z.array(z.number()).check(z.minLength(2))), { a: [] }, 'a must be at least 2 items'],
    ['a number too big', field(z.number().check(z.maximum(3))), { a: 4 }, 'a must be at most 3'],
    ['a number too small', field(z.number().check(z.minimum(-1))), { a: -2 }, 'a must be at least -1'],
    ['a value not among the allowed ones', field(z.enum(['x', 'y'])), { a: 'z' }, 'a must be one of "x", "y"'],
    ['a literal', field(z.literal(2)), { a: 3 }, 'a must be one of 2'],
    ['not a multiple', field(z.number().check(z.multipleOf(5))), { a: 4 }, 'a must be a multiple of 5'],
    ['a string of the wrong format', field(z.string().check(z.regex(/^x$/))), { a: 'y' }, 'a is invalid'],
    ['a union none of whose members matches', field(z.union([z.string(), z.number()])), { a: true }, 'a is invalid'],
    ['a custom check', field(z.custom(() => false)), { a: 1 }, 'a is invalid'],
    ['a custom check on a missing field (not "required": not a type issue)', field(z.custom(() => false, 'must be given')), {}, 'a must be given'],
  ])('%s', (_name, schema, value, message) => {
    expect(refusal(schema, value)).toBe(message);
  });

  test('a schema’s own message wins over the generic wording, on a present field', () => {
    expect(refusal(field(z.string().check(z.minLength(3, 'must hold a name'))), { a: 'x' })).toBe('a must hold a name');
    expect(refusal(field(z.string({ error: 'must be text' })), { a: 1 })).toBe('a must be text');
  });

  test('a missing field is "required" even when the schema has a message of its own', () => {
    expect(refusal(field(z.string({ error: 'must be text' })), {})).toBe('a is required');
  });

  describe('unknown fields (strict objects)', () => {
    const strict = z.strictObject({ a: z.optional(z.number()) });
    test.each<[unknown, string]>([
      [{ b: 1 }, 'unknown field: "b"'],
      [{ b: 1, c: 2 }, 'unknown fields: "b", "c"'],
      [{ b: 1, c: 2, d: 3, e: 4, f: 5, g: 6 }, 'unknown fields: "b", "c", "d", "e", "f"'],
      [{ ['k'.repeat(40)]: 1 }, `unknown field: "${'k'.repeat(40)}"`],
      [{ ['k'.repeat(41)]: 1 }, `unknown field: "${'k'.repeat(40)}…"`],
      [{ 'a"b': 1 }, 'unknown field: "a\\"b"'],
    ])('%j → %s', (value, message) => {
      expect(refusal(strict, value)).toBe(message);
    });

    test('inside a nested object, the message names the object that holds the field', () => {
      const nested = z.strictObject({ outer: z.strictObject({ list: z.array(strict) }) });
      expect(refusal(nested, { outer: { list: [{ b: 1 }] } })).toBe('outer.list.0 has unknown field: "b"');
      expect(refusal(nested, { outer: { list: [], b: 1, c: 2 } })).toBe('outer has unknown fields: "b", "c"');
    });
  });

  describe('keys and elements: the inner problem’s own message, else "is invalid"', () => {
    test('a record key refused with a message names the key and says why', () => {
      expect(refusal(field(z.record(z.string().check(z.regex(/^k/, 'must start with k')), z.number())), { a: { x: 1 } })).toBe('a.x must start with k');
    });

    test('a record key refused without a message', () => {
      expect(refusal(field(z.record(z.string().check(z.regex(/^k/)), z.number())), { a: { x: 1 } })).toBe('a.x is invalid');
    });

    test('a map whose key is no property key: its value refused with and without a message', () => {
      const key = { id: 1 };
      expect(refusal(field(z.map(z.unknown(), z.number().check(z.maximum(1, 'must be small')))), { a: new Map([[key, 2]]) })).toBe('a must be small');
      expect(refusal(field(z.map(z.unknown(), z.number().check(z.maximum(1)))), { a: new Map([[key, 2]]) })).toBe('a is invalid');
    });

    test('a map whose key is no property key, refused itself', () => {
      const key = { id: 1 };
      expect(
        refusal(
          field(
            z.map(
              z.custom(() => false, 'must be a name'),
              z.number(),
            ),
          ),
          { a: new Map([[key, 2]]) },
        ),
      ).toBe('a must be a name');
      expect(
        refusal(
          field(
            z.map(
              z.custom(() => false),
              z.number(),
            ),
          ),
          { a: new Map([[key, 2]]) },
        ),
      ).toBe('a is invalid');
    });
  });

  test('at most five problems, joined with "; "', () => {
    const six = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string(), f: z.string() });
    expect(refusal(six, {})).toBe('a is required; b is required; c is required; d is required; e is required');
    expect(refusal(six, { a: 'x', b: 'x' })).toBe('c is required; d is required; e is required; f is required');
  });
});

describe('integerOnly', () => {
  test('words a non-integer, and leaves every other issue to its own message', () => {
    const schema = field(z.int({ error: integerOnly }).check(z.minimum(1), z.maximum(3)));
    expect(refusal(schema, { a: 1.5 })).toBe('a must be an integer');
    expect(refusal(schema, { a: 'x' })).toBe('a must be an integer');
    expect(refusal(schema, { a: 4 })).toBe('a must be at most 3');
    expect(refusal(schema, { a: 0 })).toBe('a must be at least 1');
    expect(integerOnly({ code: 'invalid_type' })).toBe('must be an integer');
    expect(integerOnly({ code: 'too_big' })).toBeUndefined();
    expect(integerOnly({})).toBeUndefined();
  });
});

describe('withoutProtoKey', () => {
  const record = withoutProtoKey(z.record(z.string(), z.number()), 'is not a variable name');

  test('refuses a __proto__ key as JSON.parse keeps it, naming the rule', () => {
    expect(refusal(record, JSON.parse('{"ok": 1, "__proto__": 1}'))).toBe('body has a key that is not a variable name');
    expect(refusal(field(record), { a: JSON.parse('{"__proto__": {}}') })).toBe('a has a key that is not a variable name');
  });

  test('passes everything else to the record schema', () => {
    expect(parseRequest(record, { ok: 1, constructor: 2 })).toEqual({ ok: 1, constructor: 2 });
    expect(refusal(record, null)).toBe('body must be a record');
    expect(refusal(record, undefined)).toBe('body is required');
    expect(refusal(record, 7)).toBe('body must be a record');
    expect(refusal(record, 'text')).toBe('body must be a record');
    expect(refusal(record, { ok: 'x' })).toBe('ok must be a number');
  });
});
