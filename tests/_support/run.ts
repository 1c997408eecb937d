/** Runs outside tools (openssl, pdfsig, qpdf, xmlsec1) from tests. */
import { spawnSync } from "node:child_process";

/** The result of a finished command. */
export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

/** Runs `cmd` with `args`, optionally feeding `input`; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: Uint8Array | string; cwd?: string; env?: Record<string, string> } = {},
): RunResult {
  const res = spawnSync(cmd, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    maxBuffer: 512 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  const stdoutBytes = new Uint8Array(res.stdout ?? new Uint8Array());
  return {
    status: res.status ?? -1,
    stdout: new TextDecoder().decode(stdoutBytes),
    stderr: new TextDecoder().decode(res.stderr ?? new Uint8Array()),
    stdoutBytes,
  };
}

/** Runs a command and throws with its stderr when it exits non-zero. */
export function runOk(
  cmd: string,
  args: string[],
  opts: { input?: Uint8Array | string; cwd?: string; env?: Record<string, string> } = {},
): RunResult {
  const res = run(cmd, args, opts);
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
  }
  return res;
}

/**
 * `openssl cms -verify` of a detached DER SignedData over the file `dataPath`: trusting
 * `caPath` when given (any purpose), skipping the chain check otherwise. Returns
 * `"<exit status> <stderr>"`, e.g. `"0 CMS Verification successful"`.
 */
export function opensslCmsVerify(cmsPath: string, dataPath: string, caPath?: string): string {
  const trust = caPath ? ["-CAfile", caPath, "-purpose", "any"] : ["-noverify"];
  const res = run("openssl", [
    "cms",
    "-verify",
    "-binary",
    "-inform",
    "DER",
    "-in",
    cmsPath,
    "-content",
    dataPath,
    ...trust,
    "-out",
    "/dev/null",
  ]);
  return `${res.status} ${res.stderr.trim()}`;
}
