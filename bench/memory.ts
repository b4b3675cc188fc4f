import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';

/** Wall time and memory of one child process and everything it starts. */
export interface ProcessFigures {
  readonly seconds: number;
  /**
   * Peak of the summed resident memory of the whole process tree (the CDK CLI, the app, its worker
   * threads, esbuild), sampled every SAMPLE_MS: what the machine must hold at once. Linux only.
   */
  readonly treePeakMiB?: number;
  /** The largest single process's own peak (VmHWM): what `/usr/bin/time -v` calls maximum resident set size. */
  readonly largestProcessPeakMiB?: number;
  readonly status: number | null;
  readonly stderr: string;
}

const SAMPLE_MS = 25;
const hasProc = fs.existsSync('/proc/self/status');

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between listing and reading
  }
}

/** `root` and its descendants, from every process's parent id in /proc. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent id follows the parenthesized command name, which may itself hold spaces.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  for (let todo = [root]; todo.length;) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Runs `command` to completion, sampling its process tree's memory while it runs. */
export function measureProcess(command: string, args: string[], options: SpawnOptions): Promise<ProcessFigures> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let treePeakKiB = 0;
    const hwm = new Map<number, number>();
    const sample = () => {
      if (!hasProc || child.pid === undefined) return;
      let sum = 0;
      for (const pid of tree(child.pid)) {
        sum += statusKiB(pid, 'VmRSS');
        hwm.set(pid, Math.max(hwm.get(pid) ?? 0, statusKiB(pid, 'VmHWM')));
      }
      treePeakKiB = Math.max(treePeakKiB, sum);
    };
    const timer = setInterval(sample, SAMPLE_MS);
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const mib = (kib: number) => Math.round(kib / 1024);
      resolve({
        seconds,
        treePeakMiB: hasProc ? mib(treePeakKiB) : undefined,
        largestProcessPeakMiB: hasProc ? mib(Math.max(0, ...hwm.values())) : undefined,
        status,
        stderr,
      });
    });
  });
}
