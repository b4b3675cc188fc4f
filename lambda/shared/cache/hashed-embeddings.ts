import type { EmbeddingPort } from './cache';

/**
 * A deterministic, offline stand-in for an embedding model: hashed bag of words (lowercased,
 * stop words dropped, crude suffix stemming) plus character trigrams, signed feature hashing into
 * `dimensions`, unit length. Texts that share words get similar vectors; it knows nothing of
 * meaning (synonyms score as unrelated). For tests, benches and local runs, never for production.
 */
export function hashedEmbeddings(dimensions = 256): EmbeddingPort {
  return {
    embed: async (text) => hashedEmbedding(text, dimensions),
  };
}

export function hashedEmbedding(text: string, dimensions = 256): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    vector[h % dimensions] += h & 0x8000_0000 ? -weight : weight;
  };
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !STOP_WORDS.has(w))
    .map(stem);
  for (const word of words) {
    add(`w:${word}`, 1);
    const padded = `^${word}$`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.3);
  }
  const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
  // An empty or all-stop-word text still gets a (fixed) unit vector, as a real model would give one.
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((x) => x / norm);
}

function stem(word: string): string {
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  }
  return word;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const STOP_WORDS = new Set(
  [
    'a an the is are was were be been do does did i me my we our you your it its of to in on at for from by with and or',
    'how what which who whom when where why can could should would will shall may might must this that these those there here please tell about some any',
  ]
    .join(' ')
    .split(' '),
);
