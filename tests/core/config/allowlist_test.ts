import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rsaPssAlgorithm } from "../../../src/core/algorithms/mod.ts";
import { resolveConfig } from "../../../src/core/config/mod.ts";
import { assertConfigError, softSlot, withSlots } from "./_helpers.ts";

describe("algorithm allowlists", () => {
  test("the default allowlist is PS256", () => {
    assert.deepEqual(resolveConfig({}).allowedAlgs, ["PS256"]);
  });

  test("rule 1: an empty allowedAlgs is refused", () => {
    assertConfigError(
      () => resolveConfig({ allowedAlgs: [] }),
      "allowedAlgs",
      "must name at least one algorithm",
      1,
    );
  });

  test("rule 2: an unknown algorithm in allowedAlgs is refused", () => {
    const err = assertConfigError(
      () => resolveConfig({ allowedAlgs: ["PS256", "PS512"] }),
      "allowedAlgs.1",
      'unknown algorithm "PS512" (known: PS256, RS256, ES256, EdDSA)',
      2,
    );
    assert.equal(
      err.message,
      'allowedAlgs.1: unknown algorithm "PS512" (known: PS256, RS256, ES256, EdDSA)',
    );
  });

  test('rule 2: "none" is refused even though it is "listed"', () => {
    assertConfigError(
      () => resolveConfig({ allowedAlgs: ["none"] }),
      "allowedAlgs.0",
      '"none" is always refused',
      2,
    );
  });

  test("rule 2: names are case-sensitive JOSE names", () => {
    assertConfigError(
      () => resolveConfig({ allowedAlgs: ["ps256"] }),
      "allowedAlgs.0",
      'unknown algorithm "ps256"',
      2,
    );
  });

  test("rule 2: config.algorithms makes a name known", () => {
    const PS512 = rsaPssAlgorithm("PS512", "sha512", 64);
    const config = resolveConfig({ allowedAlgs: ["PS512", "ES256"], algorithms: { PS512 } });
    assert.deepEqual(config.allowedAlgs, ["PS512", "ES256"]);
    assert.equal(config.algorithms.get("PS512"), PS512);
    assert.ok(config.algorithms.get("PS256"));
  });

  test("a bad entry in config.algorithms is refused at its key", () => {
    const PS512 = rsaPssAlgorithm("PS512", "sha512", 64);
    assertConfigError(
      () => resolveConfig({ algorithms: { PS384: PS512 } }),
      "algorithms.PS384",
      'Cannot register algorithm "PS384"',
    );
    assertConfigError(
      () => resolveConfig({ algorithms: { none: PS512 } }),
      "algorithms.none",
      /"none"/,
    );
    assertConfigError(
      () => resolveConfig({ algorithms: { X: "PS256" } as never }),
      "algorithms.X",
      "must be an Algorithm",
    );
  });

  test("duplicates are removed, the order kept", () => {
    assert.deepEqual(resolveConfig({ allowedAlgs: ["ES256", "PS256", "ES256"] }).allowedAlgs, [
      "ES256",
      "PS256",
    ]);
  });

  test("allowedAlgs must be an array of names", () => {
    assertConfigError(
      () => resolveConfig({ allowedAlgs: "PS256" as never }),
      "allowedAlgs",
      "must be an array of algorithm names",
    );
    assertConfigError(
      () => resolveConfig({ allowedAlgs: ["PS256", 5] as never }),
      "allowedAlgs.1",
      "must be a string",
    );
  });

  test("a slot's effective allowlist is global ∩ slot, in the global order", () => {
    const config = resolveConfig(withSlots(
      { a: softSlot({ allowedAlgs: ["ES256", "PS256", "RS256"] }), b: softSlot() },
      { allowedAlgs: ["PS256", "ES256"] },
    ));
    assert.deepEqual(config.slots.a.effectiveAllowedAlgs, ["PS256", "ES256"]);
    assert.deepEqual(config.slots.b.effectiveAllowedAlgs, ["PS256", "ES256"]);
  });

  test("rule 10: a slot allowlist with nothing in common with the global one is refused", () => {
    assertConfigError(
      () =>
        resolveConfig(
          withSlots({ a: softSlot({ allowedAlgs: ["ES256"] }) }, { allowedAlgs: ["PS256"] }),
        ),
      "slots.a.allowedAlgs",
      "no algorithm in common with the global allowedAlgs (PS256)",
      10,
    );
    assertConfigError(
      () => resolveConfig(withSlots({ a: softSlot({ allowedAlgs: [] }) })),
      "slots.a.allowedAlgs",
      "no algorithm in common",
      10,
    );
  });

  test("rule 2 also holds inside a slot's allowlist", () => {
    assertConfigError(
      () => resolveConfig(withSlots({ a: softSlot({ allowedAlgs: ["PS256", "ES384"] }) })),
      "slots.a.allowedAlgs.1",
      'unknown algorithm "ES384"',
      2,
    );
  });
});
