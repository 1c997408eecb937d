/**
 * The cost of the request lane itself (src/core/lane.ts), without PKCS#11: a worker answers
 * each request after a synthetic job of JOB_MICROS of busy JavaScript (about one P-256
 * signature on SoftHSM2), the main thread keeps 8 requests in flight. Reports jobs/s against
 * the ideal 1e6 / JOB_MICROS, and the worker's CPU time per job.
 * Run: `node bench/run.mjs bench/lane.ts` (both runtimes), or `deno run -A bench/lane.ts`.
 */
import process from "node:process";
import { readdirSync, readFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { LaneClient, serveLane } from "../src/core/lane.ts";
import { median, runtimeName } from "./_support.ts";

const JOB_MICROS = 140;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = 3;
const IN_FLIGHT = 8;

const inWorker = !isMainThread ||
  (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined");

/** CPU milliseconds of this process's worker threads, from /proc (Linux). */
function workerCpuMs(): number {
  let ticks = 0;
  for (const task of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (!/^(worker-\d+|Worker)$/.test(name)) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

if (inWorker) {
  const answer = new Uint8Array(64).fill(1);
  self.onmessage = (event: MessageEvent<SharedArrayBuffer>) => {
    serveLane(event.data, () => {
      const end = performance.now() + JOB_MICROS / 1000;
      while (performance.now() < end) { /* the job */ }
      return answer;
    });
    self.postMessage("ready");
  };
} else {
  const worker = new Worker(import.meta.url, { type: "module" });
  const waiting = new Map<number, () => void>();
  const lane = new LaneClient((id) => waiting.get(id)!());
  await new Promise((ready) => {
    worker.onmessage = ready;
    worker.postMessage(lane.buffer);
  });
  const input = new Uint8Array(32);
  let nextId = 1;
  const request = () =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      waiting.set(id, () => {
        waiting.delete(id);
        resolve();
      });
      if (!lane.trySend(id, 1, input)) throw new Error("the lane is full");
    });
  const rates: number[] = [];
  const cpuPerJob: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = workerCpuMs();
    const start = performance.now();
    const end = start + SECONDS * 1000;
    let done = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        await request();
        done++;
      }
    }));
    rates.push(done / ((performance.now() - start) / 1000));
    cpuPerJob.push(((workerCpuMs() - cpu) * 1000) / done);
  }
  lane.close();
  worker.terminate();
  const ideal = 1e6 / JOB_MICROS;
  console.log(JSON.stringify({
    bench: "lane",
    runtime: runtimeName(),
    case: `${JOB_MICROS} µs jobs, ${IN_FLIGHT} in flight (worker CPU µs/job ${
      median(cpuPerJob).toFixed(1)
    })`,
    oursPerSecond: Math.round(median(rates)),
    baselinePerSecond: Math.round(ideal),
    ratio: Number((median(rates) / ideal).toFixed(3)),
  }));
}
