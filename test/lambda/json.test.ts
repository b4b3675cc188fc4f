import { isJsonObject } from '../../lambda/shared/json';

/** lambda/shared/json.ts on its own: which parsed JSON values are objects whose fields can be read. */

describe('isJsonObject', () => {
  test.each<[string, string]>([
    ['an object', '{"a":1}'],
    ['an empty object', '{}'],
    ['an object with an array inside', '{"a":[1,2]}'],
  ])('%s is one', (_name, text) => {
    expect(isJsonObject(JSON.parse(text))).toBe(true);
  });

  test.each<[string, string]>([
    ['null', 'null'],
    ['an array', '[{"a":1}]'],
    ['an empty array', '[]'],
    ['a string', '"{}"'],
    ['a number', '1'],
    ['true', 'true'],
  ])('%s is not', (_name, text) => {
    expect(isJsonObject(JSON.parse(text))).toBe(false);
  });

  test('nor is a value that is no JSON at all', () => {
    expect(isJsonObject(undefined)).toBe(false);
  });
});
