/**
 * Helpers for the task tests: run a task script with the runtime running the test (the
 * child inherits SOFTHSM2_CONF, so it sees the same throw-away token directory), write a
 * config module for a token, and make PKCS#12 bundles with openssl.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { SOFTHSM_DRIVER } from "../_support/softhsm.ts";
import { run, runOk, type RunResult } from "../_support/run.ts";

/** The repository root. */
export const REPO_ROOT: string = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;

/** The command line that runs `scripts/<name>.ts` with this runtime. */
export function taskCommand(name: string, args: string[]): string[] {
  const script = join(REPO_ROOT, "scripts", `${name}.ts`);
  return isBun
    ? [process.execPath, script, ...args]
    : [process.execPath, "run", "-A", script, ...args];
}

/** Runs a task to completion with stdin closed, extra `env` added. */
export function runTaskScript(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): RunResult {
  const [cmd, ...rest] = taskCommand(name, args);
  return run(cmd, rest, { env: { NO_COLOR: "1", ...env }, input: "" });
}

/** Writes `pkcs11ex.config.ts` in `dir` with one slot `ref` on the SoftHSM token `tokenLabel`. */
export function writeConfig(dir: string, ref: string, tokenLabel: string): string {
  const path = join(dir, "pkcs11ex.config.ts");
  writeFileSync(
    path,
    `export default {\n  defaultSlot: ${
      JSON.stringify(ref)
    },\n  slots: {\n    ${ref}: {\n      type: "soft_hsm",\n      driver: ${
      JSON.stringify(SOFTHSM_DRIVER)
    },\n      slotMatch: { tokenLabel: ${JSON.stringify(tokenLabel)} },\n    },\n  },\n};\n`,
  );
  return path;
}

/** A bundle made by openssl: its path, the certificate (PEM path) and the password. */
export interface MadeBundle {
  p12: string;
  certPem: string;
  password: string;
}

/** Makes a self-signed RSA-2048 or P-256 key and certificate and exports them as a PKCS#12. */
export function makeP12(dir: string, name: string, type: "rsa" | "ec"): MadeBundle {
  const key = join(dir, `${name}.key`);
  const certPem = join(dir, `${name}.crt`);
  const p12 = join(dir, `${name}.p12`);
  const password = `pw-${name}-Secret!`;
  const keyArgs = type === "rsa"
    ? ["-newkey", "rsa:2048"]
    : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  runOk("openssl", [
    "req",
    "-x509",
    ...keyArgs,
    "-nodes",
    "-keyout",
    key,
    "-out",
    certPem,
    "-subj",
    `/CN=${name} signer/O=Acme/C=CL`,
    "-days",
    "30",
  ]);
  runOk("openssl", [
    "pkcs12",
    "-export",
    "-in",
    certPem,
    "-inkey",
    key,
    "-out",
    p12,
    "-passout",
    `pass:${password}`,
    "-name",
    name,
  ]);
  return { p12, certPem, password };
}
