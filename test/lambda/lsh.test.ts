import { candidateProbability, hamming, maxHammingFor, RandomHyperplanes } from '../../lambda/shared/cache/lsh';

/**
 * Random-hyperplane LSH (lambda/shared/cache/lsh.ts) on its own. The planes must be the same on
 * every function instance and every deployment with the same settings (a stored answer's buckets
 * are found again only then), so the signatures are compared with a reference written here from
 * the published generators: mulberry32 (Tommy Ettinger's, as popularised by bryc's PRNG notes)
 * mapped into (0, 1), and the Box–Muller transform, planes stored as float32.
 */

/** mulberry32's 32-bit outputs for `seed`. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The planes, plane after plane, each `dimensions` standard normal deviates. */
function referencePlanes(seed: number, count: number): Float32Array {
  const next = mulberry32(seed);
  const open = () => (next() + 1) / (2 ** 32 + 1); // never 0 or 1
  const planes = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u1 = open();
    const u2 = open();
    planes[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return planes;
}

/** The signature by the definition: bit i of the sketch is set when the vector is on the non-negative side of plane i. */
function referenceSignature(params: { dimensions: number; bands: number; bitsPerBand: number; seed: number }, vector: number[]) {
  const { dimensions, bands, bitsPerBand, seed } = params;
  const planes = referencePlanes(seed, bands * bitsPerBand * dimensions);
  const bits: boolean[] = [];
  for (let p = 0; p < bands * bitsPerBand; p++) {
    let dot = 0;
    for (let d = 0; d < dimensions; d++) dot += planes[p * dimensions + d] * vector[d];
    bits.push(dot >= 0);
  }
  const bandNames = Array.from({ length: bands }, (_, b) =>
    BigInt(
      `0b0${bits
        .slice(b * bitsPerBand, (b + 1) * bitsPerBand)
        .map((on) => (on ? '1' : '0'))
        .reverse()
        .join('')}`,
    ).toString(16),
  );
  const sketch = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((on, i) => {
    if (on) sketch[Math.floor(i / 8)] += 2 ** (i % 8);
  });
  return { bands: bandNames, sketch };
}

/** Deterministic test vectors in [-1, 1). */
function vectors(count: number, dimensions: number, seed: number): number[][] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: dimensions }, () => next() / 2 ** 31 - 1));
}

describe('RandomHyperplanes: the parameters', () => {
  const valid = { dimensions: 8, bands: 4, bitsPerBand: 8, seed: 7 };

  test.each([
    [{ dimensions: 2, bands: 1, bitsPerBand: 1, seed: 0 }],
    [{ dimensions: 3, bands: 64, bitsPerBand: 32, seed: -5 }],
    [{ dimensions: 1024, bands: 20, bitsPerBand: 12, seed: 2 ** 40 }],
  ])('accepts %j', (params) => {
    expect(new RandomHyperplanes(params).parameters).toEqual(params);
  });

  test.each<[Partial<typeof valid>, string]>([
    [{ dimensions: 1 }, 'dimensions must be an integer of at least 2, got 1'],
    [{ dimensions: 2.5 }, 'dimensions must be an integer of at least 2, got 2.5'],
    [{ dimensions: Number.NaN }, 'dimensions must be an integer of at least 2, got NaN'],
    [{ bands: 0 }, 'bands must be an integer between 1 and 64, got 0'],
    [{ bands: 65 }, 'bands must be an integer between 1 and 64, got 65'],
    [{ bands: 1.5 }, 'bands must be an integer between 1 and 64, got 1.5'],
    [{ bitsPerBand: 0 }, 'bitsPerBand must be an integer between 1 and 32, got 0'],
    [{ bitsPerBand: 33 }, 'bitsPerBand must be an integer between 1 and 32, got 33'],
    [{ bitsPerBand: 4.5 }, 'bitsPerBand must be an integer between 1 and 32, got 4.5'],
    [{ seed: 0.5 }, 'seed must be an integer, got 0.5'],
    [{ seed: Number.POSITIVE_INFINITY }, 'seed must be an integer, got Infinity'],
  ])('fails when %j', (change, message) => {
    expect(() => new RandomHyperplanes({ ...valid, ...change })).toThrow(new Error(message));
  });

  test('id names every parameter; sketchBits is bands × bits', () => {
    const lsh = new RandomHyperplanes({ dimensions: 1024, bands: 16, bitsPerBand: 12, seed: 20240601 });
    expect(lsh.id).toBe('rh1:1024:16x12:20240601');
    expect(lsh.sketchBits).toBe(192);
  });
});

describe('RandomHyperplanes.sign', () => {
  test.each([
    { dimensions: 2, bands: 1, bitsPerBand: 1, seed: 0 },
    { dimensions: 4, bands: 3, bitsPerBand: 5, seed: 42 },
    { dimensions: 16, bands: 8, bitsPerBand: 32, seed: 123456789 },
    { dimensions: 5, bands: 64, bitsPerBand: 3, seed: -1 },
    { dimensions: 3, bands: 2, bitsPerBand: 12, seed: 2 ** 32 + 9 },
  ])('each bucket and sketch bit is the side of the seeded plane the vector lies on (%j)', (params) => {
    const lsh = new RandomHyperplanes(params);
    for (const vector of vectors(20, params.dimensions, params.seed + 1)) {
      const signature = lsh.sign(vector);
      const expected = referenceSignature(params, vector);
      expect(signature.bands).toEqual(expected.bands);
      expect([...signature.sketch]).toEqual([...expected.sketch]);
    }
  });

  test('the same parameters give the same planes in every instance; another seed other planes', () => {
    const params = { dimensions: 32, bands: 4, bitsPerBand: 16, seed: 99 };
    const [v] = vectors(1, 32, 5);
    expect(new RandomHyperplanes(params).sign(v!)).toEqual(new RandomHyperplanes({ ...params }).sign(v!));
    expect(new RandomHyperplanes(params).sign(v!).bands).not.toEqual(new RandomHyperplanes({ ...params, seed: 100 }).sign(v!).bands);
  });

  test('pinned: buckets stored by an earlier deployment are found again', () => {
    const lsh = new RandomHyperplanes({ dimensions: 4, bands: 2, bitsPerBand: 8, seed: 42 });
    const signature = lsh.sign([0.5, -0.25, 1, 0.125]);
    expect(signature).toEqual(referenceSignature({ dimensions: 4, bands: 2, bitsPerBand: 8, seed: 42 }, [0.5, -0.25, 1, 0.125]));
    expect(signature.bands).toEqual(PINNED_BANDS);
  });

  test('a vector on a plane (a zero vector is on all of them) is on its non-negative side: every bit set, a full 32-bit band unsigned', () => {
    const lsh = new RandomHyperplanes({ dimensions: 3, bands: 3, bitsPerBand: 32, seed: 1 });
    const { bands, sketch } = lsh.sign([0, 0, 0]);
    expect(bands).toEqual(['ffffffff', 'ffffffff', 'ffffffff']);
    expect([...sketch]).toEqual(Array.from({ length: 12 }, () => 255));
  });

  test('the planes are the reference ones to the last float32 bit: a vector lying exactly on plane k sets bit k', () => {
    // In two dimensions, (-b, a) is exactly on the plane (a, b): a × -b + b × a is 0 in floating point too.
    const params = { dimensions: 2, bands: 4, bitsPerBand: 32, seed: 7 };
    const lsh = new RandomHyperplanes(params);
    const planes = referencePlanes(params.seed, 128 * 2);
    for (let k = 0; k < 128; k++) {
      const { sketch } = lsh.sign([-planes[2 * k + 1]!, planes[2 * k]!]);
      expect([k, (sketch[k >> 3]! >> (k & 7)) & 1]).toEqual([k, 1]);
    }
  });

  test('the sketch holds every bit, in as many bytes as it takes: 12 bits in 2 bytes, the unused high bits clear', () => {
    const lsh = new RandomHyperplanes({ dimensions: 2, bands: 3, bitsPerBand: 4, seed: 3 });
    const { bands, sketch } = lsh.sign([0, 0]);
    expect(bands).toEqual(['f', 'f', 'f']);
    expect([...sketch]).toEqual([0xff, 0x0f]);
  });

  test('opposite vectors disagree on every bit that is not exactly on a plane', () => {
    const lsh = new RandomHyperplanes({ dimensions: 6, bands: 4, bitsPerBand: 8, seed: 11 });
    const [v] = vectors(1, 6, 12);
    const a = lsh.sign(v!);
    const b = lsh.sign(v!.map((x) => -x));
    expect(hamming(a.sketch, b.sketch)).toBe(32);
  });

  test('fails when the embedding has another number of dimensions', () => {
    const lsh = new RandomHyperplanes({ dimensions: 3, bands: 1, bitsPerBand: 4, seed: 1 });
    expect(() => lsh.sign([1, 2])).toThrow(new Error('embedding has 2 dimensions, expected 3'));
    expect(() => lsh.sign([1, 2, 3, 4])).toThrow(new Error('embedding has 4 dimensions, expected 3'));
  });
});

describe('hamming', () => {
  test('counts differing bits, byte by byte', () => {
    expect(hamming(new Uint8Array([]), new Uint8Array([]))).toBe(0);
    expect(hamming(new Uint8Array([0b1011_0001, 0xff]), new Uint8Array([0b1011_0001, 0xff]))).toBe(0);
    expect(hamming(new Uint8Array([0b1000_0000]), new Uint8Array([0]))).toBe(1);
    expect(hamming(new Uint8Array([0, 0, 0b0101_0101]), new Uint8Array([0, 0, 0b1010_1010]))).toBe(8);
    expect(hamming(new Uint8Array([0xf0, 0x0f]), new Uint8Array([0x0f, 0x0f]))).toBe(8);
  });

  test('the popcount of every byte', () => {
    const all = Uint8Array.from({ length: 256 }, (_, n) => n);
    const expected = Array.from({ length: 256 }, (_, n) => n.toString(2).split('1').length - 1);
    for (let n = 0; n < 256; n++) expect(hamming(all.subarray(n, n + 1), new Uint8Array(1))).toBe(expected[n]);
    expect(hamming(all, new Uint8Array(256))).toBe(1024);
  });
});

describe('candidateProbability', () => {
  const formula = (s: number, bands: number, bits: number) => 1 - (1 - (1 - Math.acos(s) / Math.PI) ** bits) ** bands;

  test.each([
    [0.95, 16, 12],
    [0.8, 20, 8],
    [0, 4, 2],
    [-0.5, 1, 1],
  ])('similarity %d with %d bands of %d bits: 1 − (1 − (1 − acos(s)/π)^R)^B', (s, bands, bits) => {
    expect(candidateProbability(s, bands, bits)).toBeCloseTo(formula(s, bands, bits), 12);
  });

  test('orthogonal vectors agree on each bit half the time', () => {
    expect(candidateProbability(0, 1, 1)).toBe(0.5);
    expect(candidateProbability(0, 2, 1)).toBe(0.75);
    expect(candidateProbability(0, 1, 2)).toBe(0.25);
  });

  test('similarities beyond ±1 (rounding in an embedding) count as ±1', () => {
    expect(candidateProbability(1, 16, 12)).toBe(1);
    expect(candidateProbability(1.0000001, 16, 12)).toBe(1);
    expect(candidateProbability(-1, 16, 12)).toBe(0);
    expect(candidateProbability(-1.0000001, 16, 12)).toBe(0);
  });
});

describe('maxHammingFor', () => {
  test('the expected distance at the threshold angle plus 3 binomial standard deviations, rounded up', () => {
    // threshold 0: p = 1/2; 192 bits: 96 + 3 × sqrt(48) = 116.78 → 117.
    expect(maxHammingFor(0, 192)).toBe(117);
    expect(maxHammingFor(0, 192, 3)).toBe(117);
    // cos(π/3) = 0.5: p = 1/3; 90 bits: 30 + 2 × sqrt(20) = 38.94 → 39.
    expect(maxHammingFor(0.5, 90, 2)).toBe(39);
    expect(maxHammingFor(0, 100, 0)).toBe(50);
  });

  test('identical vectors: no difference; opposite: every bit; beyond ±1 counts as ±1', () => {
    expect(maxHammingFor(1, 192)).toBe(0);
    expect(maxHammingFor(1.5, 192)).toBe(0);
    expect(maxHammingFor(-1, 192)).toBe(192);
    expect(maxHammingFor(-1.5, 192)).toBe(192);
  });
});

/** The pinned test's buckets, computed once with the reference above. */
const PINNED_BANDS = ['bc', '5b'];
