/**
 * Throw-away SoftHSM2 configurations. SoftHSM reads `SOFTHSM2_CONF` at `C_Initialize`,
 * from the process environment; Bun does not pass `process.env` changes to native code,
 * so the variable must be set before the runtime starts (the test runner and the demo
 * launcher do that). Provisioning refuses the system token directory.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";

/** Where Debian's softhsm2 package puts the shared library. */
export const SOFTHSM_DRIVER: string = process.env.PKCS11EX_SOFTHSM_DRIVER ??
  "/usr/lib/softhsm/libsofthsm2.so";

const SYSTEM_TOKEN_DIR = "/var/lib/softhsm/tokens";

/** Writes `softhsm2.conf` and an empty token directory under `dir`; returns the conf path. */
export function writeSoftHsmConfig(dir: string): string {
  const tokenDir = join(resolve(dir), "tokens");
  mkdirSync(tokenDir, { recursive: true });
  const confPath = join(resolve(dir), "softhsm2.conf");
  writeFileSync(
    confPath,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  return confPath;
}

/**
 * Throws unless `SOFTHSM2_CONF` names a throw-away configuration (never the system one).
 * Returns the token directory it points at.
 */
export function assertThrowawaySoftHsm(): string {
  const conf = process.env.SOFTHSM2_CONF;
  if (conf === undefined || conf === "") {
    throw new Error(
      "SOFTHSM2_CONF is not set: run through `npm test` / `npm run demo`, or point it at a " +
        "throw-away config made by writeSoftHsmConfig (never the system token directory)",
    );
  }
  const text = readFileSync(conf, "utf8");
  const match = text.match(/^\s*directories\.tokendir\s*=\s*(.+?)\s*$/m);
  const tokenDir = match?.[1] ?? SYSTEM_TOKEN_DIR;
  if (resolve(tokenDir) === SYSTEM_TOKEN_DIR) {
    throw new Error(`Refusing to provision the system SoftHSM token directory ${tokenDir}`);
  }
  return tokenDir;
}
