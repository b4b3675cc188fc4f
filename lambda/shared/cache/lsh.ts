/**
 * Random-hyperplane locality-sensitive hashing (SimHash). Each hyperplane contributes one bit: the
 * side of the plane the vector lies on. Two vectors at angle θ agree on a bit with probability
 * 1 − θ/π, so with `bands` bands of `bitsPerBand` bits, a stored vector of cosine similarity s to
 * the query shares at least one band bucket with probability 1 − (1 − (1 − acos(s)/π)^R)^B.
 *
 * The planes come from a seeded generator: every function instance, and every deployment with the
 * same settings, hashes into the same buckets.
 */
export interface LshParameters {
  readonly dimensions: number;
  readonly bands: number;
  /** At most 32, so a band's signature fits one 32-bit word. */
  readonly bitsPerBand: number;
  readonly seed: number;
}

export interface LshSignature {
  /** Per band: the band's bits as hex, the bucket name within that band. */
  readonly bands: readonly string[];
  /** All bands × bits sign bits, packed, for a Hamming-distance estimate of the angle. */
  readonly sketch: Uint8Array;
}

export class RandomHyperplanes {
  private readonly planes: Float32Array;
  private readonly bitCount: number;

  constructor(public readonly parameters: LshParameters) {
    const { dimensions, bands, bitsPerBand, seed } = parameters;
    if (!Number.isInteger(dimensions) || dimensions < 2) throw new Error(`dimensions must be an integer of at least 2, got ${dimensions}`);
    if (!Number.isInteger(bands) || bands < 1 || bands > 64) throw new Error(`bands must be an integer between 1 and 64, got ${bands}`);
    if (!Number.isInteger(bitsPerBand) || bitsPerBand < 1 || bitsPerBand > 32)
      throw new Error(`bitsPerBand must be an integer between 1 and 32, got ${bitsPerBand}`);
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    this.bitCount = bands * bitsPerBand;
    this.planes = new Float32Array(this.bitCount * dimensions);
    const gaussian = gaussians(seed);
    for (let i = 0; i < this.planes.length; i++) this.planes[i] = gaussian();
  }

  /** A stable name for these parameters (part of the bucket scope). */
  public get id(): string {
    const p = this.parameters;
    return `rh1:${p.dimensions}:${p.bands}x${p.bitsPerBand}:${p.seed}`;
  }

  public get sketchBits(): number {
    return this.bitCount;
  }

  public sign(vector: ArrayLike<number>): LshSignature {
    const { dimensions, bands, bitsPerBand } = this.parameters;
    if (vector.length !== dimensions) throw new Error(`embedding has ${vector.length} dimensions, expected ${dimensions}`);
    const sketch = new Uint8Array(Math.ceil(this.bitCount / 8));
    const bandNames: string[] = [];
    let plane = 0;
    for (let band = 0; band < bands; band++) {
      let word = 0;
      for (let bit = 0; bit < bitsPerBand; bit++, plane++) {
        const offset = plane * dimensions;
        let dot = 0;
        for (let d = 0; d < dimensions; d++) dot += this.planes[offset + d] * vector[d];
        if (dot >= 0) {
          word = (word | (1 << bit)) >>> 0;
          sketch[plane >> 3] |= 1 << (plane & 7);
        }
      }
      bandNames.push(word.toString(16));
    }
    return { bands: bandNames, sketch };
  }
}

/** Differing bits of two sketches of equal length. */
export function hamming(a: Uint8Array, b: Uint8Array): number {
  let distance = 0;
  for (let i = 0; i < a.length; i++) distance += POPCOUNT[a[i] ^ b[i]];
  return distance;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, n) => {
  let count = 0;
  for (let v = n; v; v >>= 1) count += v & 1;
  return count;
});

/** Probability that a vector at cosine similarity `similarity` shares at least one bucket with the query. */
export function candidateProbability(similarity: number, bands: number, bitsPerBand: number): number {
  const agree = 1 - Math.acos(Math.max(-1, Math.min(1, similarity))) / Math.PI;
  return 1 - (1 - agree ** bitsPerBand) ** bands;
}

/**
 * Largest Hamming distance between sketches worth verifying for a cosine threshold: the expected
 * distance at the threshold angle plus `sigmas` binomial standard deviations, so a true match is
 * almost never filtered out while far vectors are, before their (large) values are fetched.
 */
export function maxHammingFor(threshold: number, bits: number, sigmas = 3): number {
  const p = Math.acos(Math.max(-1, Math.min(1, threshold))) / Math.PI;
  return Math.ceil(bits * p + sigmas * Math.sqrt(bits * p * (1 - p)));
}

/** Standard normal deviates from a seeded 32-bit generator (mulberry32 + Box–Muller). */
function gaussians(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297; // in (0, 1): log() below stays finite
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
