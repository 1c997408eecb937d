/**
 * Builds tests/_support/native/pin_flags_shim.c: a PKCS#11 module wrapping SoftHSM2 whose
 * C_GetTokenInfo also reports the PIN flags a test sets (a locked PIN, a final try), so that
 * lockout protection runs against a real module and real workers.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CKF_TOKEN } from "../../src/ffi/constants.ts";
import { runOk } from "./run.ts";
import { SOFTHSM_DRIVER } from "./softhsm.ts";

/** A built shim and the switch for its extra flags. */
export interface PinFlagsShim {
  /** The module path to configure as a slot's `driver`. */
  readonly driver: string;
  /** Sets the flags C_GetTokenInfo adds from now on, by name (e.g. `CKF_USER_PIN_LOCKED`). */
  setFlags(names: readonly (keyof typeof CKF_TOKEN)[]): void;
}

/** Compiles the shim in `dir` with cc. */
export function buildPinFlagsShim(dir: string): PinFlagsShim {
  const source = fileURLToPath(new URL("./native/pin_flags_shim.c", import.meta.url));
  const driver = join(dir, "libpinflags.so");
  const flagsFile = join(dir, "pin_flags");
  writeFileSync(flagsFile, "0\n");
  runOk("cc", [
    "-shared",
    "-fPIC",
    "-O2",
    "-I/usr/include/p11-kit-1",
    `-DTARGET="${SOFTHSM_DRIVER}"`,
    `-DFLAGS_FILE="${flagsFile}"`,
    source,
    "-o",
    driver,
    "-ldl",
  ]);
  return {
    driver,
    setFlags(names) {
      const value = names.reduce((sum, name) => sum | BigInt(CKF_TOKEN[name]), 0n);
      writeFileSync(flagsFile, `${value}\n`);
    },
  };
}
