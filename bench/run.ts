/**
 * Benchmarks of the blueprint: synth time, Lambda bundle sizes, cold module load, and handler
 * overhead against a Bedrock fake. Prints a table and writes `.bench/results.json`.
 * Run: `npm run bench`. A missed target is reported, not fatal; an error exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchBundles, type BundleFigures } from './bundles';
import { OUT_DIR, ROOT } from './env';
import { benchPromptHandler } from './handler';
import { round } from './stats';
import { benchSynth } from './synth';

interface Check {
  readonly name: string;
  readonly value: number;
  readonly limit: number;
  readonly unit: string;
  readonly pass: boolean;
}

/** One table row; a row without `limit` is a figure to read, not a target. */
interface Row {
  readonly measure: string;
  readonly figure: string;
  readonly limit?: number;
  readonly unit?: string;
  readonly value?: number;
}

const TARGETS = {
  synthAllS: 10,
  bundleKb: 200,
  coldLoadMs: 150,
  overheadP99Ms: 5,
};

const ms = (n: number) => `${n.toFixed(2)} ms`;

function git(...args: string[]): string {
  return spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
}

function printTable(rows: Row[], checks: Check[]): void {
  const cells = rows.map((r) => {
    if (r.limit === undefined || r.value === undefined) return [r.measure, r.figure, '', ''];
    const pass = r.value <= r.limit;
    checks.push({ name: r.measure, value: round(r.value, 3), limit: r.limit, unit: r.unit ?? '', pass });
    return [r.measure, r.figure, `<= ${r.limit} ${r.unit}`, pass ? 'PASS' : 'MISS'];
  });
  const header = ['measure', 'figure', 'target', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // The machine may be shared: load before and after tells whether figures were disturbed.
  const loadBefore = os.loadavg().map((n) => round(n));
  // Bundles first: the handler benchmark loads the shipped bundle. Synth last: it loads aws-cdk-lib.
  console.error('bundling and cold-loading handlers...');
  const bundles = await benchBundles();
  console.error('running the prompt handler against the Bedrock fake...');
  const handler = await benchPromptHandler();
  console.error('synthesizing (3 runs of all grounds, then each ground)...');
  const synth = await benchSynth();

  const bundleRows = (b: BundleFigures): Row[] => {
    const shipped = b.mode === 'external';
    const label = `${b.handler} bundle, SDK ${shipped ? 'external (shipped)' : 'bundled'}`;
    const load = `median ${ms(b.coldLoadMs.median)}, p90 ${ms(b.coldLoadMs.p90)} (${b.coldLoadMs.runs} runs)`;
    return [
      shipped
        ? { measure: `${label}: size`, figure: `${b.bytes} B = ${b.kb.toFixed(1)} KB`, value: b.kb, limit: TARGETS.bundleKb, unit: 'KB' }
        : { measure: `${label}: size`, figure: `${b.bytes} B = ${b.kb.toFixed(1)} KB` },
      shipped
        ? { measure: `${label}: cold load`, figure: load, value: b.coldLoadMs.median, limit: TARGETS.coldLoadMs, unit: 'ms' }
        : { measure: `${label}: cold load`, figure: load },
    ];
  };
  const s = (n: number) => `${n.toFixed(2)} s`;
  const rows: Row[] = [
    { measure: 'synth all grounds', figure: `median ${s(synth.all.medianS)}, min ${s(synth.all.minS)} (${synth.all.runs} runs)`, value: synth.all.medianS, limit: TARGETS.synthAllS, unit: 's' },
    ...synth.perGround.map((g) => ({ measure: `synth ground ${g.ground} (${g.stackId})`, figure: `median ${s(g.medianS)}, min ${s(g.minS)} (${g.runs} runs)` })),
    ...bundles.flatMap(bundleRows),
    { measure: 'prompt handler call (incl. loopback HTTP)', figure: `p50 ${ms(handler.handlerMs.p50)}, p99 ${ms(handler.handlerMs.p99)}, mean ${ms(handler.handlerMs.mean)}` },
    { measure: 'bare Converse round trip (same fake)', figure: `p50 ${ms(handler.bareRoundTripMs.p50)}, p99 ${ms(handler.bareRoundTripMs.p99)}, mean ${ms(handler.bareRoundTripMs.mean)}` },
    { measure: 'handler overhead p50 (handler - bare)', figure: ms(handler.overheadMs.p50) },
    { measure: 'handler overhead p99 (handler - bare)', figure: ms(handler.overheadMs.p99), value: handler.overheadMs.p99, limit: TARGETS.overheadP99Ms, unit: 'ms' },
    { measure: 'handler overhead, paired per call', figure: `p50 ${ms(handler.pairedOverheadMs.p50)}, p99 ${ms(handler.pairedOverheadMs.p99)}` },
  ];

  const checks: Check[] = [];
  printTable(rows, checks);
  console.log(
    `\nKB = 1024 B. Cold load: require() of the bundle in a fresh node process (node start-up excluded), target on the median.` +
      `\nHandler: ${handler.calls} sequential calls after ${handler.warmup} warm-up, interleaved with the bare calls; both include a loopback HTTP round trip.` +
      `\nOverhead p50/p99 is a difference of percentiles (as targeted); the paired row is the percentile of per-call differences.`,
  );

  const results = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadAvgBefore: loadBefore,
      loadAvgAfter: os.loadavg().map((n) => round(n)),
      gitRev: git('rev-parse', 'HEAD'),
      // Others edit the tree while benches run: record whether figures come from committed code.
      gitDirty: git('status', '--porcelain').length > 0,
    },
    targets: checks,
    synth,
    bundles,
    handler,
  };
  const file = path.join(OUT_DIR, 'results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const missed = checks.filter((c) => !c.pass).length;
  console.log(`${checks.length - missed}/${checks.length} targets met. Results: ${path.relative(ROOT, file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
