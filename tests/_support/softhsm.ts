/**
 * A real SoftHSM2 token per test file: a fresh token with a unique label in the
 * throw-away token directory that the test runner points `SOFTHSM2_CONF` at, with keys
 * generated on it and self-signed certificates signed by those keys.
 */
import { randomBytes } from "node:crypto";
import process from "node:process";
import { Pkcs11Module } from "../../src/ffi/module.ts";
import type { Session } from "../../src/ffi/session.ts";
import { SOFTHSM_DRIVER, writeSoftHsmConfig } from "../../scripts/softhsm/config.ts";
import {
  createToken,
  type KeySpec,
  type ProvisionedKey,
  provisionKey,
} from "../../scripts/softhsm/provision.ts";
import { makeTempDir } from "./tmp.ts";

export { SOFTHSM_DRIVER };

/** A provisioned test token. */
export interface TestToken {
  module: Pkcs11Module;
  slot: bigint;
  label: string;
  userPin: string;
  soPin: string;
  keys: Record<string, ProvisionedKey>;
  /** Opens a new session logged in as the user. */
  openUserSession(): Session;
}

/** Makes sure SOFTHSM2_CONF names a throw-away config (Deno can set it in-process). */
function ensureSoftHsmConf(): void {
  if (process.env.SOFTHSM2_CONF) return;
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    throw new Error(
      "Run the Bun tests through `npm test` (SOFTHSM2_CONF must be set before Bun starts)",
    );
  }
  process.env.SOFTHSM2_CONF = writeSoftHsmConfig(makeTempDir("pkcs11ex-softhsm-").dir);
}

const encode = (s: string) => new TextEncoder().encode(s);

/** Creates a token with a unique label and provisions `keys` on it. */
export async function makeTestToken(keys: KeySpec[], prefix = "test"): Promise<TestToken> {
  ensureSoftHsmConf();
  const module = await Pkcs11Module.load(SOFTHSM_DRIVER);
  const label = `${prefix}-${randomBytes(4).toString("hex")}`;
  const soPin = "so-pin-1234";
  const userPin = "user-pin-1234";
  const slot = createToken(module, { label, soPin, userPin });
  const provisioned: Record<string, ProvisionedKey> = {};
  {
    using session = module.openSession(slot);
    session.login(encode(userPin));
    for (const spec of keys) provisioned[spec.label] = provisionKey(session, spec);
  }
  return {
    module,
    slot,
    label,
    userPin,
    soPin,
    keys: provisioned,
    openUserSession() {
      const session = module.openSession(slot);
      session.login(encode(userPin));
      return session;
    },
  };
}
