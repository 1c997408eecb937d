import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeSignPlan, encodeSignPlan } from "../../../src/core/slot/protocol.ts";

describe("sign plans (the definition a first lane request carries)", () => {
  const plan = {
    key: {
      keyRef: "signing",
      label: "rsa",
      id: Uint8Array.of(0, 1, 0xfe),
      certLabel: "rsa cert",
      certId: Uint8Array.of(9),
    },
    mechanism: {
      mechanism: "CKM_SHA256_RSA_PKCS_PSS",
      pss: { hashAlg: "CKM_SHA256", mgf: "CKG_MGF1_SHA256", sLen: 32 },
    },
  };

  test("round-trip, with and without byte ids", () => {
    assert.deepEqual(decodeSignPlan(encodeSignPlan(plan)), plan);
    const byLabel = { key: { keyRef: "ec", label: "ec" }, mechanism: { mechanism: "CKM_ECDSA" } };
    assert.deepEqual(decodeSignPlan(encodeSignPlan(byLabel)), {
      key: { ...byLabel.key, id: undefined, certId: undefined },
      mechanism: byLabel.mechanism,
    });
  });

  test("truncated and hostile definitions are refused, never misread", () => {
    const encoded = encodeSignPlan(plan);
    for (let cut = 0; cut < encoded.length; cut++) {
      assert.throws(() => decodeSignPlan(encoded.subarray(0, cut)), `cut ${cut}`);
    }
    const enc = new TextEncoder();
    for (
      const hostile of [
        "{}",
        '{"key":{"keyRef":1},"mechanism":{"mechanism":"CKM_ECDSA"}}',
        '{"key":{"keyRef":"k"},"mechanism":{}}',
        '{"key":{"keyRef":"k","id":"%%"},"mechanism":{"mechanism":"CKM_ECDSA"}}',
        '{"key":{"keyRef":"k","certId":7},"mechanism":{"mechanism":"CKM_ECDSA"}}',
        "null",
      ]
    ) {
      assert.throws(() => decodeSignPlan(enc.encode(hostile)), hostile);
    }
  });
});
