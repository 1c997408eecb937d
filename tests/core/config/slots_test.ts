import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "../../../src/core/config/mod.ts";
import { assertConfigError, softSlot, withSlots } from "./_helpers.ts";

const pin = () => "never-called";

describe("per-slot rules", () => {
  test('rule 4: a "token" slot without pinCallback is refused', () => {
    assertConfigError(
      () => resolveConfig(withSlots({ legal_proxy: softSlot({ type: "token" }) })),
      "slots.legal_proxy.pinCallback",
      'missing for type "token"',
      4,
    );
  });

  test("rule 4: the message is exactly the spec's", () => {
    const err = assertConfigError(
      () => resolveConfig(withSlots({ legal_proxy: softSlot({ type: "token" }) })),
      "slots.legal_proxy.pinCallback",
      'missing for type "token"',
    );
    assert.equal(err.message, 'slots.legal_proxy.pinCallback: missing for type "token"');
  });

  test('rule 5: a "cloud_hsm" slot with pinCallback is refused', () => {
    assertConfigError(
      () =>
        resolveConfig(withSlots({ platform: softSlot({ type: "cloud_hsm", pinCallback: pin }) })),
      "slots.platform.pinCallback",
      'not allowed for type "cloud_hsm"',
      5,
    );
  });

  test("soft_hsm may have a pinCallback or not", () => {
    assert.equal(resolveConfig(withSlots({ a: softSlot() })).slots.a.pinCallback, undefined);
    assert.equal(
      resolveConfig(withSlots({ a: softSlot({ pinCallback: pin }) })).slots.a.pinCallback,
      pin,
    );
  });

  test('sessionPoolSize above 1 on a "token" slot is refused', () => {
    assertConfigError(
      () =>
        resolveConfig(
          withSlots({ t: softSlot({ type: "token", pinCallback: pin, sessionPoolSize: 2 }) }),
        ),
      "slots.t.sessionPoolSize",
      'must be 1 for type "token"',
    );
  });

  test("sessionPoolSize must be a positive integer, at most 64 (each is a worker thread)", () => {
    assertConfigError(
      () => resolveConfig(withSlots({ p: { ...softSlot(), sessionPoolSize: 1_000_000_000 } })),
      "slots.p.sessionPoolSize",
      "must be at most 64",
    );
    for (const size of [0, -1, 1.5, Number.NaN, "2"]) {
      assertConfigError(
        () => resolveConfig(withSlots({ p: { ...softSlot(), sessionPoolSize: size } })),
        "slots.p.sessionPoolSize",
        /^must be a (positive integer|number)/,
      );
    }
    assert.equal(
      resolveConfig(withSlots({ p: softSlot({ sessionPoolSize: 4 }) })).slots.p.sessionPoolSize,
      4,
    );
  });

  test("defaults depend on the type: lazy for token, eager otherwise; pool 1; prompt; slot 0", () => {
    const { slots } = resolveConfig(withSlots({
      t: softSlot({ type: "token", pinCallback: pin }),
      c: softSlot({ type: "cloud_hsm" }),
      s: softSlot(),
    }));
    assert.deepEqual(
      Object.values(slots).map((s) => [s.ref, s.lazy, s.sessionPoolSize, s.reauthentication]),
      [["t", true, 1, "prompt"], ["c", false, 1, "prompt"], ["s", false, 1, "prompt"]],
    );
    assert.deepEqual({ ...slots.t.slotMatch }, { slotId: 0n });
    assert.deepEqual({ ...slots.t.keys }, {});
    assert.equal(slots.t.keys.toString, undefined); // no Object.prototype members as key refs
    const eagerToken = resolveConfig(
      withSlots({ t: softSlot({ type: "token", pinCallback: pin, lazy: false }) }),
    );
    assert.equal(eagerToken.slots.t.lazy, false);
  });

  test("slotMatch: slot id as number or bigint, or a token label", () => {
    const match = (slotMatch: unknown) => ({
      ...resolveConfig(withSlots({ a: { ...softSlot(), slotMatch } })).slots.a.slotMatch,
    });
    assert.deepEqual(match({ slotId: 7 }), { slotId: 7n });
    assert.deepEqual(match({ slotId: 2n ** 63n }), { slotId: 2n ** 63n });
    assert.deepEqual(match({ tokenLabel: "Legal Proxy A" }), { tokenLabel: "Legal Proxy A" });
  });

  test("slotMatch: both, neither, negative, fractional, too long a label", () => {
    const refuse = (slotMatch: unknown, path: string, problem: string) =>
      assertConfigError(
        () => resolveConfig(withSlots({ a: { ...softSlot(), slotMatch } })),
        path,
        problem,
      );
    refuse(
      { slotId: 1, tokenLabel: "x" },
      "slots.a.slotMatch",
      "must be { slotId } or { tokenLabel }",
    );
    refuse({}, "slots.a.slotMatch", "must be { slotId } or { tokenLabel }");
    refuse({ slotId: -1 }, "slots.a.slotMatch.slotId", "must be a non-negative integer");
    refuse({ slotId: 1.5 }, "slots.a.slotMatch.slotId", "must be a non-negative integer");
    refuse({ slotId: 2n ** 64n }, "slots.a.slotMatch.slotId", "must be a non-negative integer");
    refuse(
      { tokenLabel: "é".repeat(17) },
      "slots.a.slotMatch.tokenLabel",
      "must be at most 32 bytes",
    );
    refuse({ slot: 1 }, "slots.a.slotMatch.slot", "unknown key");
  });

  test("type, reauthentication and lazy are checked", () => {
    assertConfigError(
      () => resolveConfig(withSlots({ a: { ...softSlot(), type: "hsm" } })),
      "slots.a.type",
      'must be "cloud_hsm", "token" or "soft_hsm"',
    );
    assertConfigError(
      () => resolveConfig(withSlots({ a: { ...softSlot(), reauthentication: "retry" } })),
      "slots.a.reauthentication",
      'must be "prompt" or "fail"',
    );
    assertConfigError(
      () => resolveConfig(withSlots({ a: { ...softSlot(), lazy: "yes" } })),
      "slots.a.lazy",
      "must be a boolean",
    );
    assertConfigError(
      () => resolveConfig(withSlots({ a: { driver: "/usr/lib/softhsm/libsofthsm2.so" } })),
      "slots.a.type",
      "missing",
    );
  });

  test("driver and driverConfig must be absolute paths", () => {
    assertConfigError(
      () => resolveConfig(withSlots({ a: softSlot({ driver: "libsofthsm2.so" }) })),
      "slots.a.driver",
      "must be an absolute path",
    );
    assertConfigError(
      () => resolveConfig(withSlots({ a: softSlot({ driverConfig: "kmsp11.yaml" }) })),
      "slots.a.driverConfig",
      "must be an absolute path",
    );
  });
});
