/** A provisioned token and config builders shared by the slot-actor tests. */
import { createPublicKey, verify } from "node:crypto";
import type { Pkcs11exConfig, SlotConfig } from "../../../src/core/config/types.ts";
import { makeTestToken, SOFTHSM_DRIVER, type TestToken } from "../../_support/softhsm.ts";
import { certificatePem } from "../../_support/pem.ts";

export { SOFTHSM_DRIVER };

/** A token with an RSA, an EC and an Ed25519 key, each with a certificate. */
export function makeSlotToken(prefix: string): Promise<TestToken> {
  return makeTestToken([
    { label: "rsa", type: "rsa" },
    { label: "ec", type: "ec" },
    { label: "ed", type: "ed25519" },
  ], prefix);
}

/** A config with one slot `platform` over `token`, counting PIN callback calls. */
export function slotConfig(
  token: TestToken,
  slot: Partial<SlotConfig> = {},
  top: Partial<Pkcs11exConfig> = {},
): { config: Pkcs11exConfig; pinCalls: () => number } {
  let calls = 0;
  const config: Pkcs11exConfig = {
    allowedAlgs: ["PS256", "RS256", "ES256", "EdDSA"],
    defaultSlot: "platform",
    ...top,
    slots: {
      platform: {
        type: "soft_hsm",
        driver: SOFTHSM_DRIVER,
        slotMatch: { tokenLabel: token.label },
        pinCallback: () => {
          calls += 1;
          return token.userPin;
        },
        keys: {
          signing: { label: "rsa" },
          ec: { label: "ec" },
          ed: { label: "ed" },
        },
        ...slot,
      },
    },
  };
  return { config, pinCalls: () => calls };
}

/** Verifies with node:crypto (outside our code) against the key's certificate. */
export function nodeVerifies(
  certificateDer: Uint8Array,
  alg: "PS256" | "RS256" | "ES256" | "EdDSA",
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = createPublicKey(certificatePem(certificateDer));
  if (alg === "EdDSA") return verify(null, data, key, signature);
  if (alg === "PS256") {
    return verify("sha256", data, { key, padding: 6, saltLength: 32 }, signature);
  }
  if (alg === "ES256") return verify("sha256", data, { key, dsaEncoding: "der" }, signature);
  return verify("sha256", data, key, signature);
}
