import * as fs from 'node:fs';
import * as path from 'node:path';
import { FLOOR_PERCENT } from '../../scripts/mutation';

/**
 * docs/mutation.md's table against stryker.config.mjs: one row per mutated file, each at the floor,
 * every survivor counted as an equivalent listed on the page, and the "all" row their sum. The
 * measurements themselves come from Stryker runs (npm run mutation), too slow for npm test; this
 * keeps the page and the configuration from drifting apart.
 */
const ROOT = path.join(__dirname, '..', '..');
const config = fs.readFileSync(path.join(ROOT, 'stryker.config.mjs'), 'utf8');
const page = fs.readFileSync(path.join(ROOT, 'docs', 'mutation.md'), 'utf8');

/** The quoted paths of one array literal of the configuration (`mutate: [...]`, `const UNIT_TESTS = [...]`). */
function listOf(opening: string): string[] {
  const start = config.indexOf(opening);
  if (start < 0) throw new Error(`stryker.config.mjs has no ${opening}`);
  const body = config.slice(start + opening.length, config.indexOf(']', start));
  return [...body.matchAll(/^\s*'([^']+)',/gm)].map((m) => m[1]);
}

interface Row {
  readonly file: string;
  readonly mutants: number;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly score: string;
  readonly equivalent: number;
}

const rows: Row[] = [
  ...page.matchAll(/^\| (`[^`]+`|all)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)%\s*\|[^|]*\|\s*(\d+)\s*\|$/gm),
].map((m) => ({
  file: m[1].replace(/`/g, ''),
  mutants: Number(m[2]),
  killed: Number(m[3]),
  timedOut: Number(m[4]),
  survived: Number(m[5]),
  score: m[6],
  equivalent: Number(m[7]),
}));
const fileRows = rows.filter((r) => r.file !== 'all');

describe('docs/mutation.md and stryker.config.mjs agree', () => {
  test('one row per file in mutate, and every file in mutate and UNIT_TESTS exists', () => {
    const mutate = listOf('mutate: [');
    expect(mutate.length).toBeGreaterThan(0);
    expect(fileRows.map((r) => r.file).sort()).toEqual([...mutate].sort());
    for (const file of [...mutate, ...listOf('const UNIT_TESTS = [')]) expect(fs.existsSync(path.join(ROOT, file)) ? file : `${file} (missing)`).toBe(file);
  });

  test.each(fileRows.map((r) => [r.file, r] as const))('%s: its score, at the floor, every survivor listed as equivalent', (_file, row) => {
    expect(row.killed + row.timedOut + row.survived).toBe(row.mutants);
    expect(row.score).toBe(((100 * (row.killed + row.timedOut)) / row.mutants).toFixed(2));
    expect(Number(row.score)).toBeGreaterThanOrEqual(FLOOR_PERCENT);
    expect(row.equivalent).toBe(row.survived);
  });

  test('the all row is the sum of the file rows', () => {
    const all = rows.find((r) => r.file === 'all');
    const sum = (key: 'mutants' | 'killed' | 'timedOut' | 'survived' | 'equivalent') => fileRows.reduce((n, r) => n + r[key], 0);
    expect(all).toEqual({
      file: 'all',
      mutants: sum('mutants'),
      killed: sum('killed'),
      timedOut: sum('timedOut'),
      survived: sum('survived'),
      score: ((100 * (sum('killed') + sum('timedOut'))) / sum('mutants')).toFixed(2),
      equivalent: sum('equivalent'),
    });
  });
});
