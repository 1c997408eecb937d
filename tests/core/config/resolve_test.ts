import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { resolveConfig } from "../../../src/core/config/mod.ts";
import { ConfigError } from "../../../src/core/errors.ts";
import { Allow } from "../../../src/policy/allow.ts";
import { CASignedAllowlist } from "../../../src/policy/ca_signed_allowlist.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import type { Policy } from "../../../src/policy/types.ts";
import { makeSelfSigned } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { assertConfigError, softSlot, withSlots } from "./_helpers.ts";

const PIN = "271828";

describe("resolveConfig", () => {
  test("a verify-only deployment: {} resolves with the spec's defaults", () => {
    const config = resolveConfig({});
    assert.equal(config.signatureHeader, "JWS-Signature");
    assert.deepEqual(config.allowedAlgs, ["PS256"]);
    assert.equal(config.defaultSlot, undefined);
    assert.ok(config.trustPolicy instanceof PinnedRegistry);
    assert.equal(config.sessionTimeout, 300_000);
    assert.deepEqual(config.driverPins, {});
    assert.deepEqual({ ...config.slots }, {}); // maps without a prototype
    assert.equal(Object.getPrototypeOf(config.slots), null);
    assert.equal(config.telemetryPrefix, "pkcs11ex");
    assert.deepEqual({ ...config.formats }, {});
    assert.equal(config.environment, "development");
    assert.equal(config.maxClockSkew, 30_000);
    assert.equal(config.poolWaitTimeout, 30_000);
    assert.deepEqual(config.algorithms.names(), ["PS256", "RS256", "ES256", "EdDSA"]);
  });

  test("rule 3: defaultSlot naming no slot is refused", () => {
    assertConfigError(
      () => resolveConfig({ defaultSlot: "platfrom", slots: { platform: softSlot() } }),
      "defaultSlot",
      'names no slot "platfrom" (slots: platform)',
      3,
    );
    assertConfigError(
      () => resolveConfig({ defaultSlot: "platform" }),
      "defaultSlot",
      'names no slot "platform" (no slots are configured)',
      3,
    );
  });

  test("rule 3: defaultSlot is required when slots are configured", () => {
    assertConfigError(
      () => resolveConfig({ slots: { a: softSlot(), b: softSlot() } }),
      "defaultSlot",
      "missing (required with slots; one of a, b)",
      3,
    );
  });

  test("the configuration is frozen, the trust policy is not", () => {
    const policy = new PinnedRegistry();
    const config = resolveConfig(
      withSlots({ a: softSlot({ keys: { k: { label: "k" } } }) }, { trustPolicy: policy }),
    );
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.slots.a));
    assert.ok(Object.isFrozen(config.slots.a.keys.k));
    assert.ok(Object.isFrozen(config.allowedAlgs));
    assert.throws(() => {
      (config.allowedAlgs as string[]).push("RS256");
    }, TypeError);
    assert.equal(config.trustPolicy, policy);
    policy.put("ab".repeat(32), "acme");
    assert.equal(policy.get("ab".repeat(32)), "acme");
  });

  test("a later change to the input does not reach the resolved config", () => {
    const input = withSlots({ a: softSlot({ allowedAlgs: ["PS256"] }) });
    const config = resolveConfig(input);
    input.slots!.a.allowedAlgs!.push("ES256");
    input.slots!.a.type = "token";
    assert.equal(config.slots.a.type, "soft_hsm");
    assert.deepEqual(config.slots.a.effectiveAllowedAlgs, ["PS256"]);
  });

  test("the pinCallback is kept as is and never called", () => {
    let calls = 0;
    const pinCallback = () => {
      calls++;
      return PIN;
    };
    const config = resolveConfig(withSlots({ t: softSlot({ type: "token", pinCallback }) }));
    assert.equal(config.slots.t.pinCallback, pinCallback);
    assert.equal(calls, 0);
    assert.ok(!inspect(config, { depth: 10 }).includes(PIN));
  });

  test("a PIN put where it does not belong is refused and never echoed", () => {
    const attempts: [unknown, string][] = [
      [
        withSlots({ t: { ...softSlot({ type: "token" }), pinCallback: PIN } }),
        "slots.t.pinCallback",
      ],
      [withSlots({ t: { ...softSlot({ type: "token" }), pin: PIN } }), "slots.t.pin"],
      [withSlots({ t: softSlot() }, { pin: PIN }), "pin"],
      [
        withSlots({ t: { ...softSlot(), slotMatch: { tokenLabel: "x", userPin: PIN } } }),
        "slots.t.slotMatch.userPin",
      ],
      [
        withSlots({ t: { ...softSlot(), keys: { k: { label: "k", pin: PIN } } } }),
        "slots.t.keys.k.pin",
      ],
      [withSlots({ t: { ...softSlot(), lazy: PIN } }), "slots.t.lazy"],
      [withSlots({ t: { ...softSlot(), type: PIN } }), "slots.t.type"],
    ];
    for (const [input, path] of attempts) {
      try {
        resolveConfig(input);
        assert.fail(`accepted ${path}`);
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.path, path);
        assert.ok(!err.message.includes(PIN), err.message);
        assert.ok(!JSON.stringify(err.detail).includes(PIN));
        assert.ok(!inspect(err, { depth: 10 }).includes(PIN));
      }
    }
  });

  test("unknown keys are refused with the nearest known key", () => {
    assertConfigError(
      () => resolveConfig({ allowedAlg: ["PS256"] }),
      "allowedAlg",
      'unknown key (did you mean "allowedAlgs"?)',
    );
    assertConfigError(
      () => resolveConfig({ signature_header: "X" }),
      "signature_header",
      'unknown key (did you mean "signatureHeader"?)',
    );
    assertConfigError(
      () => resolveConfig(withSlots({ a: { ...softSlot(), pinCalback: () => PIN } })),
      "slots.a.pinCalback",
      'unknown key (did you mean "pinCallback"?)',
    );
    assertConfigError(
      () =>
        resolveConfig(
          withSlots({ a: { ...softSlot(), keys: { k: { label: "k", certlabel: "c" } } } }),
        ),
      "slots.a.keys.k.certlabel",
      'unknown key (did you mean "certLabel"?)',
    );
    assertConfigError(
      () => resolveConfig({ colour: "red" }),
      "colour",
      "unknown key (known keys: signatureHeader, allowedAlgs,",
    );
  });

  test("every problem is listed in detail.problems, the first one thrown", () => {
    const err = assertConfigError(
      () => resolveConfig({ sessionTimeout: -1, telemetryPrefix: "", typo: 1 }),
      "sessionTimeout",
      "must not be negative",
    );
    assert.deepEqual(err.detail.problems, [
      "sessionTimeout: must not be negative",
      "telemetryPrefix: must not be empty",
      "typo: unknown key (known keys: signatureHeader, allowedAlgs, defaultSlot, trustPolicy, sessionTimeout, driverPins, slots, telemetryPrefix, algorithms, formats, environment, maxClockSkew, poolWaitTimeout)",
    ]);
  });

  test("slot and key refs that valibot would drop silently are refused", () => {
    assertConfigError(
      () => resolveConfig({ defaultSlot: "constructor", slots: { constructor: softSlot() } }),
      "slots.constructor",
      "is a reserved name",
    );
    const parsed = JSON.parse(
      `{"slots": {"a": {"type": "soft_hsm", "driver": "${softSlot().driver}",
        "keys": {"__proto__": {"label": "k"}}}}, "defaultSlot": "a"}`,
    );
    assertConfigError(() => resolveConfig(parsed), "slots.a.keys.__proto__", "is a reserved name");
  });

  test("a configuration that is not an object is refused", () => {
    for (const input of [null, undefined, "config", 5, []]) {
      assertConfigError(() => resolveConfig(input), "", "The configuration must be an object");
    }
    assertConfigError(() => resolveConfig({ slots: [] }), "slots", "must be an object of slots");
    assertConfigError(
      () => resolveConfig({ slots: { a: "soft_hsm" } }),
      "slots.a",
      "must be an object",
    );
  });

  test("hostile input: throwing getters and proxies become ConfigError", () => {
    const throwingKeys = new Proxy({}, {
      ownKeys() {
        throw new Error("no keys for you");
      },
    });
    const inputs = [
      {
        get slots() {
          throw new Error("boom");
        },
      },
      throwingKeys,
      { slots: throwingKeys },
    ];
    for (const input of inputs) {
      assertConfigError(() => resolveConfig(input), "", /^Cannot read the configuration: /);
    }
  });

  test("hostile input: a huge unknown key and many slots", () => {
    const long = "x".repeat(1_000_000);
    assertConfigError(() => resolveConfig({ [long]: 1 }), long, "unknown key (known keys:");
    const slots = Object.fromEntries(
      Array.from({ length: 2_000 }, (_, i) => [`s${i}`, softSlot({ slotMatch: { slotId: i } })]),
    );
    assert.equal(Object.keys(resolveConfig(withSlots(slots)).slots).length, 2_000);
  });

  test("hostile input: a sparse list of 2^32 - 1 entries, a cycle, a throwing getter", () => {
    const sparse: string[] = [];
    sparse.length = 2 ** 32 - 1;
    assertConfigError(
      () => resolveConfig({ allowedAlgs: sparse }),
      "allowedAlgs",
      "is a list longer than",
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assertConfigError(
      () => resolveConfig({ driverPins: cyclic as never }),
      "",
      "The configuration nests too deeply",
    );
    const throwing = {
      get allowedAlgs(): string[] {
        throw new Error("boom");
      },
    };
    assertConfigError(() => resolveConfig(throwing), "", "Cannot read the configuration");
  });

  test("a property polluted onto Object.prototype is not read as configuration", () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.trustPolicy = { resolve: () => ({}), validate: () => "admin" };
    proto.environment = "test";
    try {
      const config = resolveConfig({});
      assert.ok(config.trustPolicy instanceof PinnedRegistry);
      assert.equal(config.environment, "development");
    } finally {
      delete proto.trustPolicy;
      delete proto.environment;
    }
  });

  test("maxClockSkew: negative is refused, zero and fractions are fine", () => {
    assertConfigError(
      () => resolveConfig({ maxClockSkew: -1 }),
      "maxClockSkew",
      "must not be negative",
    );
    assertConfigError(
      () => resolveConfig({ maxClockSkew: Infinity }),
      "maxClockSkew",
      "must be a finite number of ms",
    );
    assertConfigError(
      () => resolveConfig({ maxClockSkew: "30s" as never }),
      "maxClockSkew",
      "must be a number of ms",
    );
    assert.equal(resolveConfig({ maxClockSkew: 0 }).maxClockSkew, 0);
    assert.equal(resolveConfig({ maxClockSkew: 1.5 }).maxClockSkew, 1.5);
  });

  test("sessionTimeout and poolWaitTimeout are timer-sized non-negative integers", () => {
    for (const key of ["sessionTimeout", "poolWaitTimeout"]) {
      assertConfigError(() => resolveConfig({ [key]: -5 }), key, "must not be negative");
      assertConfigError(
        () => resolveConfig({ [key]: 1.5 }),
        key,
        "must be an integer number of ms",
      );
      assertConfigError(
        () => resolveConfig({ [key]: 2 ** 31 }),
        key,
        "must be at most 2147483647 ms",
      );
      assert.equal(resolveConfig({ [key]: 0 })[key as "sessionTimeout"], 0);
    }
  });

  test("signatureHeader must be an HTTP header name; telemetryPrefix not empty", () => {
    assert.equal(resolveConfig({ signatureHeader: "X-Sig" }).signatureHeader, "X-Sig");
    assertConfigError(
      () => resolveConfig({ signatureHeader: "JWS Signature" }),
      "signatureHeader",
      "must be an HTTP header name",
    );
    assertConfigError(
      () => resolveConfig({ signatureHeader: "" }),
      "signatureHeader",
      "must be an HTTP header name",
    );
    assertConfigError(
      () => resolveConfig({ telemetryPrefix: "" }),
      "telemetryPrefix",
      "must not be empty",
    );
    assert.equal(resolveConfig({ telemetryPrefix: "acme" }).telemetryPrefix, "acme");
  });

  test("environment is one of production, development, test", () => {
    assert.equal(resolveConfig({ environment: "test" }).environment, "test");
    assertConfigError(
      () => resolveConfig({ environment: "prod" as never }),
      "environment",
      'must be "production", "development" or "test"',
    );
  });

  test("trustPolicy must have resolve and validate", () => {
    assertConfigError(
      () => resolveConfig({ trustPolicy: {} as never }),
      "trustPolicy",
      "must be a trust policy",
    );
    assertConfigError(
      () => resolveConfig({ trustPolicy: PinnedRegistry as never }),
      "trustPolicy",
      "must be a trust policy",
    );
  });

  test("checkEnvironment: Allow is refused in production, through the config", () => {
    const policy = new Allow();
    assert.equal(resolveConfig({ trustPolicy: policy }).trustPolicy, policy);
    assertConfigError(
      () => resolveConfig({ trustPolicy: policy, environment: "production" }),
      "trustPolicy",
      "Allow accepts any signer and refuses to run in production",
    );
  });

  test("checkEnvironment: CASignedAllowlist without revocation is refused in production", () => {
    const { dir, cleanup } = makeTempDir("pkcs11ex-config-");
    try {
      const ca = makeSelfSigned(dir, "ec", { name: "ca" });
      const bare = new CASignedAllowlist({ caBundle: ca.certPem, allow: [] });
      assertConfigError(
        () => resolveConfig({ trustPolicy: bare, environment: "production" }),
        "trustPolicy",
        "CASignedAllowlist needs crlFetcher or ocspCheck in production",
      );
      const withOcsp = new CASignedAllowlist({
        caBundle: ca.certPem,
        allow: [],
        ocspCheck: () => Promise.resolve("good" as const),
      });
      assert.equal(
        resolveConfig({ trustPolicy: withOcsp, environment: "production" }).trustPolicy,
        withOcsp,
      );
    } finally {
      cleanup();
    }
  });

  test("checkEnvironment gets the environment; its plain errors become ConfigError", () => {
    const seen: (string | undefined)[] = [];
    const policy: Policy = {
      resolve: () => {
        throw new Error("unused");
      },
      validate: () => "unused",
      checkEnvironment: (env) => {
        seen.push(env);
        if (env === "production") throw new Error("needs an HSM-backed registry in production");
      },
    };
    resolveConfig({ trustPolicy: policy });
    resolveConfig({ trustPolicy: policy, environment: "test" });
    assertConfigError(
      () => resolveConfig({ trustPolicy: policy, environment: "production" }),
      "trustPolicy",
      "needs an HSM-backed registry in production",
    );
    assert.deepEqual(seen, ["development", "test", "production"]);
  });

  test("formats must be Format objects", () => {
    const format = {
      name: "custom",
      prepare: () => Promise.reject(new Error("unused")),
      assemble: () => Promise.reject(new Error("unused")),
      parse: () => Promise.reject(new Error("unused")),
    };
    assert.equal(resolveConfig({ formats: { custom: format } }).formats.custom, format);
    assertConfigError(
      () => resolveConfig({ formats: { custom: { ...format, parse: undefined } } as never }),
      "formats.custom",
      "must be a Format (name, prepare, assemble, parse)",
    );
  });
});
