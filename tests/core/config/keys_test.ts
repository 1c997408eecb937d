import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../../src/core/config/mod.ts";
import { runOk } from "../../_support/run.ts";
import { makeSelfSigned } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { assertConfigError, softSlot, withSlots } from "./_helpers.ts";

const withKey = (key: unknown, slot: Record<string, unknown> = {}) =>
  withSlots({ s: { ...softSlot(), ...slot, keys: { signing: key } } });
const resolveKey = (key: unknown, slot: Record<string, unknown> = {}) =>
  resolveConfig(withKey(key, slot)).slots.s.keys.signing;

describe("per-key rules", () => {
  test("rule 8: a key with neither label nor id is refused", () => {
    assertConfigError(
      () => resolveConfig(withKey({})),
      "slots.s.keys.signing",
      "needs a label or an id",
      8,
    );
    assertConfigError(
      () => resolveConfig(withKey({ certLabel: "cert" })),
      "slots.s.keys.signing",
      "needs a label or an id",
      8,
    );
  });

  test("rule 9: a key with both certLabel and certId is refused", () => {
    assertConfigError(
      () => resolveConfig(withKey({ label: "k", certLabel: "c", certId: "01" })),
      "slots.s.keys.signing.certId",
      "not allowed together with certLabel",
      9,
    );
  });

  test("ids as hex strings or bytes become fresh Uint8Arrays", () => {
    const bytes = new Uint8Array([0xde, 0xad]);
    const key = resolveKey({ id: bytes, certId: "BEEF01" });
    assert.deepEqual(key.id, new Uint8Array([0xde, 0xad]));
    assert.notEqual(key.id, bytes);
    bytes[0] = 0;
    assert.equal(key.id?.[0], 0xde);
    assert.deepEqual(key.certId, new Uint8Array([0xbe, 0xef, 0x01]));
  });

  test("bad hex and empty ids are refused", () => {
    for (const id of ["zz", "abc", "", "0x01", "01 02"]) {
      assertConfigError(
        () => resolveConfig(withKey({ id })),
        "slots.s.keys.signing.id",
        "must be non-empty bytes or an even number of hex digits",
      );
    }
    assertConfigError(
      () => resolveConfig(withKey({ label: "k", certId: new Uint8Array() })),
      "slots.s.keys.signing.certId",
      "must be non-empty bytes",
    );
    assertConfigError(
      () => resolveConfig(withKey({ id: 7 })),
      "slots.s.keys.signing.id",
      "must be bytes (Uint8Array) or a hex string",
    );
  });

  test("the certificate selector defaults to the key's id, else its label", () => {
    const byLabel = resolveKey({ label: "k" });
    assert.equal(byLabel.certLabel, "k");
    assert.equal(byLabel.certId, undefined);
    const byId = resolveKey({ id: "01" });
    assert.deepEqual(byId.certId, new Uint8Array([1]));
    assert.equal(byId.certLabel, undefined);
    const both = resolveKey({ label: "k", id: "01" });
    assert.deepEqual([both.certLabel, both.certId], [undefined, new Uint8Array([1])]);
    const explicit = resolveKey({ label: "k", id: "01", certLabel: "c" });
    assert.deepEqual([explicit.certLabel, explicit.certId], ["c", undefined]);
    assert.equal(explicit.ref, "signing");
  });

  test("a resolved key has no undefined fields", () => {
    assert.deepEqual({ ...resolveKey({ label: "k" }) }, {
      ref: "signing",
      label: "k",
      certLabel: "k",
      chain: [],
    });
  });

  test("a key alg must be known and inside the slot's effective allowlist", () => {
    const global = { allowedAlgs: ["PS256", "ES256"] };
    const cfg = (key: unknown, slot: Record<string, unknown> = {}) => ({
      ...withKey(key, slot),
      ...global,
    });
    assert.equal(
      resolveConfig(cfg({ label: "k", alg: "ES256" })).slots.s.keys.signing.alg,
      "ES256",
    );
    assertConfigError(
      () => resolveConfig(cfg({ label: "k", alg: "ES256" }, { allowedAlgs: ["PS256"] })),
      "slots.s.keys.signing.alg",
      '"ES256" is not in the slot\'s allowed algorithms (PS256)',
    );
    assertConfigError(
      () => resolveConfig(cfg({ label: "k", alg: "RS256" })),
      "slots.s.keys.signing.alg",
      '"RS256" is not in the slot\'s allowed algorithms',
    );
    assertConfigError(
      () => resolveConfig(cfg({ label: "k", alg: "HS256" })),
      "slots.s.keys.signing.alg",
      'unknown algorithm "HS256"',
      2,
    );
    assertConfigError(
      () => resolveConfig(cfg({ label: "k", alg: "none" })),
      "slots.s.keys.signing.alg",
      '"none" is always refused',
      2,
    );
  });

  test("chain: DER and PEM (several per entry) become DER in order; junk is refused", () => {
    const { dir, cleanup } = makeTempDir("pkcs11ex-config-");
    try {
      const a = makeSelfSigned(dir, "ec", { name: "a" });
      const b = makeSelfSigned(dir, "rsa", { name: "b" });
      const c = makeSelfSigned(dir, "ec", { name: "c" });
      const key = resolveKey({ label: "k", chain: [a.certDer, b.certPem + c.certPem] });
      // openssl's own DER of each certificate, for comparison.
      const der = (pem: string) => {
        const out = join(dir, "out.der");
        runOk("openssl", ["x509", "-in", pem, "-outform", "DER", "-out", out]);
        return new Uint8Array(readFileSync(out));
      };
      assert.deepEqual(key.chain, [der(a.certPath), der(b.certPath), der(c.certPath)]);
      assert.deepEqual(resolveKey({ label: "k" }).chain, []);
      assertConfigError(
        () =>
          resolveConfig(
            withKey({ label: "k", chain: [a.certDer, new Uint8Array([0x30, 0x03, 1, 2, 3])] }),
          ),
        "slots.s.keys.signing.chain.1",
        "is not a certificate",
      );
      assertConfigError(
        () => resolveConfig(withKey({ label: "k", chain: [a.keyPem] })),
        "slots.s.keys.signing.chain.0",
        "holds no CERTIFICATE block",
      );
      assertConfigError(
        () => resolveConfig(withKey({ label: "k", chain: [a.certDer.subarray(0, 40)] })),
        "slots.s.keys.signing.chain.0",
        "is not a certificate",
      );
      assertConfigError(
        () => resolveConfig(withKey({ label: "k", chain: a.certPem })),
        "slots.s.keys.signing.chain",
        "must be an array of certificates",
      );
    } finally {
      cleanup();
    }
  });

  test("a chain entry's message never carries the private key it was given by mistake", () => {
    const { dir, cleanup } = makeTempDir("pkcs11ex-config-");
    try {
      const a = makeSelfSigned(dir, "ec", { name: "a" });
      const body = a.keyPem.split("\n")[1];
      try {
        resolveConfig(withKey({ label: "k", chain: [a.keyPem] }));
        assert.fail("accepted a private key as a chain certificate");
      } catch (err) {
        assert.ok(
          !JSON.stringify({ m: (err as Error).message, d: (err as { detail: unknown }).detail })
            .includes(body),
        );
      }
    } finally {
      cleanup();
    }
  });
});
