/** Shared pieces of the benchmarks: the C baseline binary and timing loops. */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

/** Compiles a C baseline under bench/ with cc and returns the executable path. */
export function buildC(source: string): string {
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
  ]);
  if (res.status !== 0) throw new Error(`cc ${source} failed: ${res.stderr}`);
  return exe;
}

/** Runs a C baseline and parses the operations per second it prints. */
export function runC(exe: string, args: string[]): number {
  const res = spawnSync(exe, args, { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${exe} failed: ${res.stderr}`);
  return Number(res.stdout.trim());
}

/** Runs `op` in batches for `seconds` and returns operations per second. */
export function opsPerSecond(seconds: number, op: () => void): number {
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) op();
    done += 16;
  }
  return done / ((performance.now() - start) / 1000);
}

/** The median of a few samples. */
export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
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
  const used = process.cpuUsage(start);
  return done / ((used.user + used.system) / 1e6);
}
