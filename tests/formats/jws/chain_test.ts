import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chainPayload, chainSignJws, verifyChainJws } from "../../../src/formats/jws/chain.ts";
import { signJws } from "../../../src/formats/jws/sign.ts";
import type { VerifyJwsOptions } from "../../../src/formats/jws/verify.ts";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import type { DocumentSigner } from "../../../src/core/signer.ts";
import { identityFor, pinned, withTempIdentities } from "./_identities.ts";

const enc = new TextEncoder();
const [alice, bank, mallory] = withTempIdentities((dir) => [
  identityFor(dir, "ES256", { name: "alice" }),
  identityFor(dir, "PS256", { name: "bank" }),
  identityFor(dir, "ES256", { name: "mallory" }),
]);
const opts: VerifyJwsOptions = {
  policy: pinned([[alice, "alice"], [bank, "bank"]]),
  allowedAlgs: ["ES256", "PS256"],
};
const payload = enc.encode('{"transfer":"100.00 CLP"}');
const other = enc.encode('{"transfer":"999999.00 CLP"}');

function counting(signer: DocumentSigner): DocumentSigner & { calls: number } {
  const wrapped = {
    alg: signer.alg,
    certificates: signer.certificates,
    calls: 0,
    sign(data: Uint8Array, ctx: "jose" | "der") {
      wrapped.calls++;
      return signer.sign(data, ctx);
    },
  };
  return wrapped;
}

describe("chain signing", () => {
  test("test vector of the outer payload (docs/jws.md)", () => {
    assert.equal(
      new TextDecoder().decode(chainPayload("eyJhbGciOiJFUzI1NiJ9..c2ln", "hello")),
      '{"inner":"eyJhbGciOiJFUzI1NiJ9..c2ln","payloadSha256":"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ","typ":"pkcs11ex-chain+jws"}',
    );
  });

  test("chainSign returns the inner subject; both layers verify", async () => {
    const inner = await signJws(payload, alice.signer);
    const { jws, subjectId } = await chainSignJws(inner, payload, bank.signer, {
      innerVerify: opts,
    });
    assert.equal(subjectId, "alice");
    const res = await verifyChainJws(jws, inner, payload, {
      ...opts,
      outer: { expectedSubject: "bank" },
    });
    assert.equal(res.subjectId, "alice");
    assert.equal(res.outer.subjectId, "bank");
    assert.equal(res.inner.alg, "ES256");
  });

  test("an inner failure aborts before any outer signing", async () => {
    const inner = await signJws(payload, alice.signer);
    const outerSigner = counting(bank.signer);
    await assert.rejects(
      chainSignJws(inner, other, outerSigner, { innerVerify: opts }),
      (err) => isPkcs11exError(err, "signature_invalid"),
    );
    const stranger = await signJws(payload, mallory.signer);
    await assert.rejects(
      chainSignJws(stranger, payload, outerSigner, { innerVerify: opts }),
      (err) => isPkcs11exError(err, "unknown_signer"),
    );
    assert.equal(outerSigner.calls, 0);
  });

  test("the outer signer cannot swap the payload", async () => {
    const inner = await signJws(payload, alice.signer);
    // The outer signer signs a chain payload that claims another payload…
    const forged = await signJws(chainPayload(inner, other), bank.signer);
    // …presented with the other payload: the outer layer passes, the inner one does not.
    await assert.rejects(
      verifyChainJws(forged, inner, other, opts),
      (err) => isPkcs11exError(err, "signature_invalid"),
    );
    // …presented with the original payload: the outer layer fails.
    await assert.rejects(
      verifyChainJws(forged, inner, payload, opts),
      (err) => isPkcs11exError(err, "signature_invalid"),
    );
    // An honest outer signature does not carry over to another payload either.
    const { jws } = await chainSignJws(inner, payload, bank.signer, { innerVerify: opts });
    await assert.rejects(
      verifyChainJws(jws, inner, other, opts),
      (err) => isPkcs11exError(err, "signature_invalid"),
    );
  });

  test("the outer signature binds the exact inner JWS", async () => {
    const inner1 = await signJws(payload, alice.signer);
    const inner2 = await signJws(payload, alice.signer, { kid: "other" });
    const { jws } = await chainSignJws(inner1, payload, bank.signer, { innerVerify: opts });
    await assert.rejects(
      verifyChainJws(jws, inner2, payload, opts),
      (err) => isPkcs11exError(err, "signature_invalid"),
    );
  });

  test("outer expectedSubject is enforced", async () => {
    const inner = await signJws(payload, alice.signer);
    const { jws } = await chainSignJws(inner, payload, bank.signer, { innerVerify: opts });
    await assert.rejects(
      verifyChainJws(jws, inner, payload, { ...opts, outer: { expectedSubject: "alice" } }),
      (err) => isPkcs11exError(err, "unexpected_subject"),
    );
  });
});
