import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { flattenedVerify, importX509 } from "jose";
import { Hono } from "hono";
import { Pkcs11ex } from "../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../src/core/errors.ts";
import { parseCertificate } from "../../src/core/x509.ts";
import { PinnedRegistry } from "../../src/policy/pinned_registry.ts";
import { jwsVerify } from "../../src/middleware/hono.ts";
import { makeSlotToken, slotConfig } from "../core/slot/_fixture.ts";
import { certificatePem } from "../_support/pem.ts";

const token = await makeSlotToken("jwsfacade");
const spki = (label: string) => parseCertificate(token.keys[label].certificateDer).spkiSha256Hex;
const policy = () =>
  new PinnedRegistry({
    pins: { [spki("rsa")]: "acme", [spki("ec")]: "beta", [spki("ed")]: "gamma" },
  });
const payload = new TextEncoder().encode('{"amount":100}');
const reason = (r: string) => (err: unknown) => err instanceof Pkcs11exError && err.reason === r;

function flattened(jws: string, body: Uint8Array) {
  const [protectedHeader, , signature] = jws.split(".");
  return { protected: protectedHeader, payload: body, signature };
}

describe("p11.jws with token keys", () => {
  test("jose verifies what the token signed, for PS256, RS256, ES256 and EdDSA", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    for (
      const [signer, alg, label] of [["signing", "PS256", "rsa"], ["signing", "RS256", "rsa"], [
        "ec",
        "ES256",
        "ec",
      ], ["ed", "EdDSA", "ed"]] as const
    ) {
      const jws = await p11.jws.sign(payload, { signer, alg });
      const key = await importX509(certificatePem(token.keys[label].certificateDer), alg);
      const result = await flattenedVerify(flattened(jws, payload), key);
      assert.equal(result.protectedHeader?.alg, alg);
      const ours = await p11.jws.verify(jws, payload);
      assert.equal(ours.subjectId, label === "rsa" ? "acme" : label === "ec" ? "beta" : "gamma");
    }
  });

  test("verify refuses a tampered payload, an unknown signer and an unexpected subject", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const jws = await p11.jws.sign(payload, { signer: "ec" });
    await assert.rejects(
      p11.jws.verify(jws, new TextEncoder().encode('{"amount":999}')),
      reason("signature_invalid"),
    );
    await assert.rejects(
      p11.jws.verify(jws, payload, { trustPolicy: new PinnedRegistry({}) }),
      reason("unknown_signer"),
    );
    await assert.rejects(
      p11.jws.verify(jws, payload, { expectedSubject: "acme" }),
      reason("unexpected_subject"),
    );
    // An option polluted onto Object.prototype is not an option.
    const proto = Object.prototype as Record<string, unknown>;
    proto.expectedSubject = "acme";
    try {
      await p11.jws.verify(jws, payload);
    } finally {
      delete proto.expectedSubject;
    }
  });

  test("chainSign verifies the inner JWS, then binds it; inner failure signs nothing", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const inner = await p11.jws.sign(payload, { signer: "ec" });
    const { jws: outer, subjectId } = await p11.jws.chainSign(inner, payload, {
      signer: "signing",
    });
    assert.equal(subjectId, "beta");
    const checked = await p11.jws.verifyChain(outer, inner, payload);
    assert.equal(checked.subjectId, "beta");
    await assert.rejects(
      p11.jws.chainSign(inner, new TextEncoder().encode("swapped"), { signer: "signing" }),
      reason("signature_invalid"),
    );
  });

  test("p11.format('jws') runs the generic prepare/sign/assemble and parse/pipeline flow", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const jws = await p11.format("jws").sign(payload, { signer: "ec" }) as string;
    const result = await p11.format("jws").verify(jws, { formatOptions: { payload } });
    assert.equal(result.subjectId, "beta");
    assert.throws(() => p11.format("nope"), RangeError);
  });

  test("the Hono middleware verifies requests signed on the token", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const app = new Hono<{ Variables: { pkcs11exSubject: string } }>();
    app.use("/api/*", jwsVerify(p11, { onFailure: "halt401" }));
    app.post(
      "/api/pay",
      async (c) => c.json({ subject: c.get("pkcs11exSubject"), body: await c.req.json() }),
    );
    const jws = await p11.jws.sign(payload, { signer: "signing" });
    const ok = await app.request("/api/pay", {
      method: "POST",
      body: payload,
      headers: { "JWS-Signature": jws },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { subject: "acme", body: { amount: 100 } });
    const bad = await app.request("/api/pay", {
      method: "POST",
      body: new TextEncoder().encode('{"amount":101}'),
      headers: { "JWS-Signature": jws },
    });
    assert.equal(bad.status, 401);
  });
});
