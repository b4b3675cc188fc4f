/**
 * `npm run mutation [-- stryker options]`: runs Stryker (stryker.config.mjs), then reads its JSON
 * report and fails unless every mutated file kills at least FLOOR_PERCENT of its mutants. Stryker's
 * own `thresholds.break` applies to the whole run only, so one weak file could hide behind strong
 * ones (docs/mutation.md).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** The score every mutated file must reach (issue 16). */
export const FLOOR_PERCENT = 90;

export const REPORT = path.join(__dirname, '..', 'reports', 'mutation', 'mutation.json');

/** The statuses of mutation-testing-report-schema (what Stryker's JSON reporter writes). */
const STATUSES = ['Killed', 'Survived', 'NoCoverage', 'CompileError', 'RuntimeError', 'Timeout', 'Ignored', 'Pending'] as const;

const reportSchema = z.object({
  files: z.record(z.string(), z.object({ mutants: z.array(z.object({ status: z.enum(STATUSES) })) })),
});

export interface FileScore {
  readonly file: string;
  /** Killed or timed out. */
  readonly detected: number;
  /** Survived or not covered by any test. */
  readonly undetected: number;
  /** detected / (detected + undetected), in percent; compile and runtime errors and ignored mutants count in neither. */
  readonly score: number;
}

/** Stryker's mutation score per file, as its clear-text table computes it. */
export function fileScores(report: unknown): FileScore[] {
  const parsed = reportSchema.safeParse(report);
  if (!parsed.success) throw new Error(`not a Stryker JSON report: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return Object.entries(parsed.data.files)
    .map(([file, { mutants }]) => {
      const count = (...statuses: string[]) => mutants.filter((m) => statuses.includes(m.status)).length;
      const detected = count('Killed', 'Timeout');
      const undetected = count('Survived', 'NoCoverage');
      const valid = detected + undetected;
      return { file, detected, undetected, score: valid === 0 ? 100 : (100 * detected) / valid };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** One line per file under the floor, naming the file, its score and the floor; empty when every file reaches it. */
export function belowFloor(scores: readonly FileScore[], floor = FLOOR_PERCENT): string[] {
  return scores
    .filter((s) => s.score < floor)
    .map((s) => `${s.file}: ${s.score.toFixed(2)}% of mutants killed (${s.detected} of ${s.detected + s.undetected}); every file must reach ${floor}%`);
}

function main(): number {
  fs.rmSync(REPORT, { force: true });
  const stryker = spawnSync('stryker', ['run', ...process.argv.slice(2)], { stdio: 'inherit' });
  if (stryker.error) throw stryker.error;
  if (!fs.existsSync(REPORT)) return stryker.status ?? 1;
  const scores = fileScores(JSON.parse(fs.readFileSync(REPORT, 'utf8')));
  console.log(`\nScore per file (floor ${FLOOR_PERCENT}%):`);
  for (const s of scores) console.log(`  ${s.score.toFixed(2).padStart(6)}%  ${s.file}`);
  const failures = belowFloor(scores);
  for (const line of failures) console.error(line);
  return failures.length > 0 ? 1 : (stryker.status ?? 1);
}

if (require.main === module) process.exit(main());
