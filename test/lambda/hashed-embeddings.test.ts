import { hashedEmbedding, hashedEmbeddings } from '../../lambda/shared/cache/hashed-embeddings';

/**
 * The offline embedding stand-in (lambda/shared/cache/hashed-embeddings.ts): which texts it maps to
 * the same vector (case, width forms, punctuation, stop words, suffixes), which it keeps apart, and
 * the shape of the vector (unit length, signed features, a fixed vector for an empty text).
 */

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const length = (v: number[]) => Math.sqrt(cosine(v, v));
const nonZero = (v: number[]) => v.map((x, i) => [i, x] as const).filter(([, x]) => x !== 0);

describe('hashedEmbedding: shape', () => {
  test('256 dimensions by default, for the port and the function', async () => {
    expect(hashedEmbedding('capital of France')).toHaveLength(256);
    expect(await hashedEmbeddings().embed('capital of France')).toHaveLength(256);
  });

  test('the port embeds with its dimensions, as the function does', async () => {
    const port = hashedEmbeddings(32);
    expect(await port.embed('capital of France')).toEqual(hashedEmbedding('capital of France', 32));
    expect(await port.embed('capital of France')).toHaveLength(32);
  });

  test.each(['capital of France', 'What is the capital of France?', 'x', 'données 2024 über-große Häuser'])('unit length: %p', (text) => {
    expect(length(hashedEmbedding(text, 64))).toBeCloseTo(1, 12);
  });

  test.each(['', '   ', '?!', 'what is the', 'Please tell me about it'])('a text of no words but stop words (%p) is the fixed unit vector e0', (text) => {
    const expected = new Array<number>(16).fill(0);
    expected[0] = 1;
    expect(hashedEmbedding(text, 16)).toEqual(expected);
  });

  test('one word is one feature of weight 1 and its three character trigrams (with ^ and $) of weight 0.3, each signed, then scaled to unit length', () => {
    // With 4096 dimensions, the four features of "cat" fall on four distinct components.
    const features = nonZero(hashedEmbedding('cat', 4096));
    const scale = Math.sqrt(1 + 3 * 0.3 ** 2);
    expect(features.map(([, x]) => Math.abs(x)).sort((a, b) => b - a)).toEqual(
      [1 / scale, 0.3 / scale, 0.3 / scale, 0.3 / scale].map((x) => expect.closeTo(x, 12)),
    );
    // Both signs occur: the hash decides the sign of each feature.
    expect(new Set(features.map(([, x]) => Math.sign(x)))).toEqual(new Set([1, -1]));
    // A word of n letters has n trigrams of "^word$": "house" has 1 + 5 features.
    expect(nonZero(hashedEmbedding('house', 4096))).toHaveLength(6);
  });

  test('is stable: the same text gives the same vector in every run and version (FNV-1a hashing), so stored vectors and bench runs stay comparable', () => {
    const round = (v: number[]) => v.map((x) => Math.round(x * 1e6) / 1e6);
    expect(round(hashedEmbedding('Cats', 16))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, -0.887357, 0, 0, 0, 0, 0.266207, 0.266207, -0.266207]);
    expect(round(hashedEmbedding('Walking dogs', 8))).toEqual([0, 0.207514, 0, 0, 0, -0.691714, -0.691714, 0]);
    expect(hashedEmbedding('Walking dogs', 8)).toEqual(hashedEmbedding('Walking dogs', 8));
  });
});

describe('hashedEmbedding: which texts are the same', () => {
  const same = (a: string, b: string) => expect(hashedEmbedding(a, 128)).toEqual(hashedEmbedding(b, 128));
  const differ = (a: string, b: string) => expect(hashedEmbedding(a, 128)).not.toEqual(hashedEmbedding(b, 128));

  test('case, compatibility forms (NFKC) and punctuation do not matter', () => {
    same('CAPITAL France', 'capital france');
    same('ｃａｐｉｔａｌ ｆｒａｎｃｅ', 'capital france');
    same('...capital, france!!', 'capital france');
    same('capital - - france', 'capital france');
  });

  test('stop words are dropped, from both lists', () => {
    same('What is the capital of France?', 'capital France');
    same('Please tell me, which shall it be: Paris?', 'Paris');
    same('could you say', 'say');
    // The last word of one list and the first of the next.
    same('how or Paris', 'Paris');
  });

  test('letters of any script and digits are word characters', () => {
    differ('café', 'caf');
    differ('Häuser', 'H user');
    differ('route 66', 'route');
    differ('gpt4', 'gpt 4');
    differ('naïve', 'na ve');
  });

  test('suffixes -ing, -ed, -es and -s are stripped, one of them, from words long enough to keep two letters and one more', () => {
    same('walking', 'walk');
    same('walked', 'walk');
    same('walks', 'walk');
    same('boxes', 'box');
    same('cats', 'cat');
    same('things', 'thing');
    // At the bound, the word is kept whole.
    differ('bring', 'br');
    differ('shed', 'sh');
    differ('goes', 'go');
    differ('bus', 'bu');
    // Only at the end.
    differ('start', 'star');
    same('edits', 'edit');
  });

  test('different words, word orders aside, give different vectors; shared words make them similar', () => {
    same('capital France', 'France capital');
    differ('capital France', 'capital Spain');
    const base = hashedEmbedding('capital of France', 256);
    expect(cosine(base, hashedEmbedding('what is the capital of france', 256))).toBeCloseTo(1, 12);
    expect(cosine(base, hashedEmbedding('capital of France and Spain', 256))).toBeGreaterThan(0.5);
    expect(Math.abs(cosine(base, hashedEmbedding('zebra migration', 256)))).toBeLessThan(0.3);
  });
});
