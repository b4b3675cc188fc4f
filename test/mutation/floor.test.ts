import { belowFloor, fileScores, FLOOR_PERCENT } from '../../scripts/mutation';

/** A report as Stryker's JSON reporter writes it, with the given statuses per file. */
const report = (files: Record<string, string[]>) => ({
  schemaVersion: '2',
  thresholds: { high: 90, low: 80 },
  files: Object.fromEntries(
    Object.entries(files).map(([file, statuses]) => [
      file,
      { language: 'typescript', source: '', mutants: statuses.map((status, id) => ({ id: String(id), status })) },
    ]),
  ),
});

const times = (n: number, status: string) => Array<string>(n).fill(status);

describe('the per-file mutation floor (scripts/mutation.ts)', () => {
  test('timeouts count as detected; survivors and mutants no test covers as undetected; errors and ignored mutants in neither', () => {
    const [scored] = fileScores(
      report({ 'a.ts': [...times(6, 'Killed'), ...times(2, 'Timeout'), 'Survived', 'NoCoverage', 'CompileError', 'RuntimeError', 'Ignored'] }),
    );
    expect(scored).toEqual({ file: 'a.ts', detected: 8, undetected: 2, score: 80 });
  });

  test('a file under the floor is named with its score even when the run as a whole is above it', () => {
    const scores = fileScores(report({ 'strong.ts': times(100, 'Killed'), 'weak.ts': [...times(8, 'Killed'), ...times(2, 'Survived')] }));
    expect((100 * 108) / 110).toBeGreaterThan(FLOOR_PERCENT);
    expect(belowFloor(scores)).toEqual(['weak.ts: 80.00% of mutants killed (8 of 10); every file must reach 90%']);
  });

  test('exactly the floor passes; just under it fails', () => {
    expect(belowFloor(fileScores(report({ 'a.ts': [...times(9, 'Killed'), 'Survived'] })))).toEqual([]);
    expect(belowFloor(fileScores(report({ 'a.ts': [...times(89, 'Killed'), ...times(11, 'NoCoverage')] })))).toHaveLength(1);
  });

  test('files are listed in path order; a file with only ignored mutants scores 100', () => {
    expect(fileScores(report({ 'b.ts': ['Ignored'], 'a.ts': ['Killed'] })).map((s) => [s.file, s.score])).toEqual([
      ['a.ts', 100],
      ['b.ts', 100],
    ]);
  });

  test('a file that is not a Stryker report is refused with the field at fault', () => {
    expect(() => fileScores({ files: { 'a.ts': { mutants: [{ status: 'Dead' }] } } })).toThrow(/not a Stryker JSON report: files\.a\.ts\.mutants\.0\.status/);
  });
});
