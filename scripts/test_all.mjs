#!/usr/bin/env node
// The test command: static checks (type check, lint, format, doc lint, publish dry run),
// then the whole suite on Deno and on Bun. Prints one closing line `N passed, N failed`
// that sums both runtimes (a failed static check counts as one failure) and exits non-zero
// on any failure. `node scripts/test_all.mjs --only tests/ffi` narrows the suite.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args.slice(onlyIndex + 1) : [];
const skipChecks = args.includes("--no-checks");
const entryPoints = Object.values(JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports);

let passed = 0;
let failed = 0;

function run(label, cmd, cmdArgs, opts = {}) {
  console.log(`\n=== ${label}: ${[cmd, ...cmdArgs].join(" ")}`);
  const started = Date.now();
  const res = spawnSync(cmd, cmdArgs, {
    cwd: root,
    encoding: "utf8",
    stdio: opts.capture ? ["ignore", "pipe", "pipe"] : "inherit",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (opts.capture) {
    process.stdout.write(res.stdout ?? "");
    process.stderr.write(res.stderr ?? "");
  }
  console.log(`=== ${label}: exit ${res.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return res;
}

function check(label, cmd, cmdArgs) {
  const res = run(label, cmd, cmdArgs);
  if (res.status === 0) passed += 1;
  else failed += 1;
}

if (!skipChecks) {
  check("type check", bin("deno"), ["check", "mod.ts", "tests/", "bench/", "scripts/"]);
  check("lint", bin("deno"), ["lint"]);
  check("format", bin("deno"), ["fmt", "--check"]);
  check("doc lint", bin("deno"), ["doc", "--lint", ...entryPoints]);
  check("publish dry run", bin("deno"), ["publish", "--dry-run", "--allow-dirty"]);
}

const targets = only.length > 0 ? only : ["tests/"];

const deno = run("tests on Deno", bin("deno"), ["test", "-A", ...targets], { capture: true });
const denoOut = `${deno.stdout}\n${deno.stderr}`;
const denoSummary = denoOut.match(/(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
if (denoSummary) {
  passed += Number(denoSummary[1]);
  failed += Number(denoSummary[2]);
}
if (!denoSummary || (deno.status !== 0 && Number(denoSummary?.[2] ?? 0) === 0)) failed += 1;

const bun = run("tests on Bun", bin("bun"), ["test", "--timeout", "120000", ...targets.map((t) => `./${t}`)], {
  capture: true,
});
const bunOut = `${bun.stdout}\n${bun.stderr}`;
const bunPass = bunOut.match(/^\s*(\d+) pass$/m);
const bunFail = bunOut.match(/^\s*(\d+) fail$/m);
if (bunPass) passed += Number(bunPass[1]);
if (bunFail) failed += Number(bunFail[1]);
if (!bunPass || (bun.status !== 0 && Number(bunFail?.[1] ?? 0) === 0)) failed += 1;

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
