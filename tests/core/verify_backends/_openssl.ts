/** Signing with openssl (outside our code) and reading verification outcomes, for the backend tests. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import type { TestIdentity } from "../../_support/software_keys.ts";
import { runOk } from "../../_support/run.ts";

/** `openssl dgst` options for RSA-PSS with SHA-256 and a 32-byte salt. */
export const PSS = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"];

/**
 * Signs `input` with openssl and the identity's key, in `dir`: `pkeyutl -rawin` for EdDSA,
 * `dgst -sha256` otherwise (with `pssOptions` for PS256).
 */
export function opensslSign(
  dir: string,
  id: TestIdentity,
  alg: string,
  input: Uint8Array,
  pssOptions = PSS,
): Uint8Array {
  const inPath = join(dir, "in.bin");
  const out = join(dir, "sig.bin");
  writeFileSync(inPath, input);
  const args = alg === "EdDSA"
    ? ["pkeyutl", "-sign", "-inkey", id.keyPath, "-rawin", "-in", inPath, "-out", out]
    : [
      "dgst",
      "-sha256",
      "-sign",
      id.keyPath,
      "-out",
      out,
      ...(alg === "PS256" ? pssOptions : []),
      inPath,
    ];
  runOk("openssl", args);
  return new Uint8Array(readFileSync(out));
}

/** What a verification made of a case: "ok" or the rejection's reason / error class. */
export async function outcome(run: () => Promise<void>): Promise<string> {
  try {
    await run();
    return "ok";
  } catch (err) {
    return isPkcs11exError(err) ? err.reason : (err as Error).constructor.name;
  }
}
