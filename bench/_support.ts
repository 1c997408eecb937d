/** Shared pieces of the benchmarks: the C baseline binary and timing loops. */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

/**
 * Compiles a C baseline under bench/ with cc (plus `libraries`, e.g. `-lcrypto`) and
 * returns the executable path.
 */
export function buildC(source: string, libraries: string[] = []): string {
  const exe = join(mkdtempSync(join(tmpdir(), "pkcs11ex-bench-")), source.replace(/\.c$/, ""));
  const src = fileURLToPath(new URL(`./${source}`, import.meta.url));
  const res = spawnSync("cc", [
    "-O2",
    "-I/usr/include/p11-kit-1",
    src,
    "-o",
    exe,
    "-ldl",
    "-lpthread",
    ...libraries,
  ]);
  if (res.status !== 0) throw new Error(`cc ${source} failed: ${res.stderr}`);
  return exe;
}

/** Operations per second of wall time and per second of this process's CPU time. */
export interface Rates {
  /** Per second of wall time. */
  wall: number;
  /** Per second of CPU time (user + system, every thread of the process). */
  cpu: number;
}

function cpuSeconds(used: { user: number; system: number }): number {
  return (used.user + used.system) / 1e6;
}

/**
 * Runs a C baseline that loops for `seconds` (its last two arguments are the seconds and
 * the thread count, 1) and prints its operations per wall second; also reports them per
 * second of its CPU time: the child's CPU time (bash `times`) minus that of a zero-second
 * run (loading and initializing the module).
 */
export function runC(exe: string, args: string[], seconds: number): Rates {
  const timed = (s: number) => {
    const res = spawnSync("bash", ["-c", '"$@"; times', "bash", exe, ...args, String(s), "1"], {
      encoding: "utf8",
    });
    if (res.status !== 0) throw new Error(`${exe} failed: ${res.stderr}`);
    const [rate, , children] = res.stdout.trim().split("\n");
    const cpu = children.trim().split(/\s+/).map((t) => {
      const [, m, sec] = /^(\d+)m([\d.]+)s$/.exec(t)!;
      return Number(m) * 60 + Number(sec);
    });
    return { rate: Number(rate), cpu: cpu[0] + cpu[1] };
  };
  const setup = timed(0).cpu;
  const { rate, cpu } = timed(seconds);
  return { wall: rate, cpu: (rate * seconds) / Math.max(cpu - setup, 1e-3) };
}

/** Runs `op` in batches for `seconds` and returns its rates. */
export function opsPerSecond(seconds: number, op: () => void): Rates {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const end = start + seconds * 1000;
  let done = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) op();
    done += 16;
  }
  const cpu = cpuSeconds(process.cpuUsage(cpuStart));
  return { wall: done / ((performance.now() - start) / 1000), cpu: done / cpu };
}

/** The median of a few samples. */
export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Ratios of `ours[r]` to the mean of the baseline runs just before and just after it
 * (`baseline` has one more sample than `ours`: B0 O0 B1 O1 … B(n)), so a machine whose speed
 * drifts during the run moves both sides of each ratio alike. Returns the median ratio and
 * the lowest and highest, so a report can show the spread.
 */
export function bracketedRatios(
  ours: number[],
  baseline: number[],
): { median: number; min: number; max: number } {
  if (baseline.length !== ours.length + 1) {
    throw new Error("bracketedRatios wants one more baseline sample than ours");
  }
  const ratios = ours.map((o, r) => o / ((baseline[r] + baseline[r + 1]) / 2));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** The runtime running the benchmark. */
export function runtimeName(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return "unknown";
}

/**
 * Runs the async `op` for about `seconds` of wall time and returns operations per second
 * of this process's CPU time (user + system, every thread): on a shared machine that is
 * steadier than wall time, and it counts work that runtimes push to helper threads.
 */
export async function cpuOpsPerSecond(
  seconds: number,
  op: () => Promise<unknown> | unknown,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const start = process.cpuUsage();
  let done = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) await op();
    done += 16;
  }
  return done / cpuSeconds(process.cpuUsage(start));
}
