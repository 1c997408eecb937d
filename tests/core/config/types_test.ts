import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rsaPssAlgorithm } from "../../../src/core/algorithms/mod.ts";
import type { Format } from "../../../src/core/format.ts";
import {
  type Pkcs11exConfig,
  resolveConfig,
  type ResolvedConfig,
  type SlotConfig,
} from "../../../src/core/config/mod.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import { SOFTHSM } from "./_helpers.ts";

/** A format with its own option types, as a format module would declare it. */
const upper: Format<string, string, { case: "upper" }, { strict: boolean }, number> = {
  name: "upper",
  prepare: (input) =>
    Promise.resolve({
      signingInput: new TextEncoder().encode(input),
      alg: "PS256",
      encodingContext: "jose",
      context: 1,
    }),
  assemble: (input) => Promise.resolve(input.toUpperCase()),
  parse: () => Promise.reject(new Error("unused")),
};

describe("configuration types", () => {
  test("the DESIGN.md config, typed as Pkcs11exConfig, resolves", () => {
    const config: Pkcs11exConfig = {
      allowedAlgs: ["PS256", "ES256", "PS512"],
      defaultSlot: "platform",
      trustPolicy: new PinnedRegistry({ pins: { ["a3".repeat(32)]: "acme_corp" } }),
      algorithms: { PS512: rsaPssAlgorithm("PS512", "sha512", 64) },
      formats: { upper },
      slots: {
        platform: {
          type: "soft_hsm",
          driver: SOFTHSM,
          slotMatch: { tokenLabel: "demo" },
          pinCallback: ({ attempt }) => Promise.resolve(attempt > 0 ? "from-a-vault" : ""),
          keys: { signing: { label: "signing", certLabel: "signing", alg: "ES256" } },
        },
      },
    };
    const resolved: ResolvedConfig = resolveConfig(config);
    const slot: SlotConfig = resolved.slots.platform; // a resolved slot is still a SlotConfig
    assert.equal(slot.type, "soft_hsm");
    assert.deepEqual({ ...resolved.slots.platform.slotMatch }, { tokenLabel: "demo" });
    assert.deepEqual({ ...resolved.slots.platform.keys.signing }, {
      ref: "signing",
      label: "signing",
      certLabel: "signing",
      alg: "ES256",
      chain: [],
    });
    assert.equal(resolved.formats.upper, upper);
    assert.equal(resolved.algorithms.get("PS512")?.hash, "sha512");
  });
});
