#!/usr/bin/env node
// Runs every benchmark under bench/ on Deno and on Bun, each against its in-run baseline,
// with a throw-away SoftHSM2 token directory, and prints the JSON lines plus a table.
// Usage: node bench/run.mjs [bench/sign.ts ...]   (BENCH_SECONDS=1 by default)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const benches = process.argv.slice(2).length > 0
  ? process.argv.slice(2)
  : ["bench/sign.ts", "bench/verify.ts"];
const rows = [];
for (const runtime of ["deno", "bun"]) {
  const dir = mkdtempSync(join(tmpdir(), `pkcs11ex-bench-${runtime}-`));
  mkdirSync(join(dir, "tokens"));
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(
    conf,
    `directories.tokendir = ${
      join(dir, "tokens")
    }\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  for (const bench of benches) {
    const args = runtime === "deno" ? ["run", "-A", bench] : [bench];
    const res = spawnSync(join(root, "node_modules", ".bin", runtime), args, {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, SOFTHSM2_CONF: conf, NO_COLOR: "1" },
    });
    process.stderr.write(res.stderr);
    if (res.status !== 0) {
      console.error(`${runtime} ${bench} failed with exit ${res.status}`);
      process.exitCode = 1;
    }
    for (const line of res.stdout.split("\n").filter((l) => l.startsWith("{"))) {
      console.log(line);
      rows.push(JSON.parse(line));
    }
  }
}
console.log(
  "\n| bench | runtime | case | ours/s | baseline/s | ratio | CPU-time ratio |\n|---|---|---|---|---|---|---|",
);
for (const r of rows) {
  console.log(
    `| ${r.bench} | ${r.runtime} | ${r.case}${
      r.baseline ? ` vs ${r.baseline}` : ""
    } | ${r.oursPerSecond} | ${r.cPerSecond ?? r.baselinePerSecond} | ${r.ratio}${
      r.ratioRange ? ` (${r.ratioRange})` : ""
    } | ${r.cpuRatio ?? ""} |`,
  );
}
