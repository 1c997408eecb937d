import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { flattenedVerify, importX509 } from "jose";
import { signJws } from "../../../src/formats/jws/sign.ts";
import { decodeBase64url } from "../../../src/formats/jws/base64.ts";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { Buffer } from "node:buffer";
import { ALGS, identityFor, withTempIdentities } from "./_identities.ts";

const enc = new TextEncoder();

function headerOf(jws: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBase64url(jws.split(".")[0])));
}

describe("signJws: jose verifies our detached JWS", () => {
  const ids = withTempIdentities((dir) => ALGS.map((alg) => identityFor(dir, alg)));

  for (const { alg, identity, signer } of ids) {
    test(`${alg}, b64:false`, async () => {
      const payload = enc.encode('\uFEFF{"amount": 10.5, "note": "dots . and .. ok"}');
      const jws = await signJws(payload, signer, { kid: "k1", x5tS256: true });
      const [protectedSegment, middle, signature] = jws.split(".");
      assert.equal(middle, "");
      const header = headerOf(jws);
      assert.equal(header.alg, alg);
      assert.equal(header.b64, false);
      assert.deepEqual(header.crit, ["b64"]);
      assert.equal(header.kid, "k1");
      assert.equal((header.x5c as string[]).length, 1);
      const key = await importX509(identity.certPem, alg);
      const result = await flattenedVerify(
        { protected: protectedSegment, payload, signature },
        key,
      );
      assert.deepEqual(result.payload, payload);
      // A changed payload fails in jose too.
      await assert.rejects(
        flattenedVerify({ protected: protectedSegment, payload: enc.encode("x"), signature }, key),
      );
    });

    test(`${alg}, b64:true (Open Banking >= 3.1.4)`, async () => {
      const payload = enc.encode('{"Data":{}}');
      const jws = await signJws(payload, signer, { b64: true });
      const [protectedSegment, , signature] = jws.split(".");
      const header = headerOf(jws);
      assert.equal("b64" in header, false);
      assert.equal("crit" in header, false);
      const key = await importX509(identity.certPem, alg);
      const b64payload = Buffer.from(payload).toString("base64url");
      const result = await flattenedVerify(
        { protected: protectedSegment, payload: b64payload, signature },
        key,
      );
      assert.deepEqual(result.payload, payload);
    });
  }

  test("custom critical headers are listed in crit after b64", async () => {
    const { signer, identity } = ids[0];
    const jws = await signJws("{}", signer, {
      extraHeaders: { "http://openbanking.org.uk/iat": 1700000000, typ: "JOSE" },
      critical: ["http://openbanking.org.uk/iat"],
    });
    assert.deepEqual(headerOf(jws).crit, ["b64", "http://openbanking.org.uk/iat"]);
    const [p, , s] = jws.split(".");
    await flattenedVerify(
      { protected: p, payload: enc.encode("{}"), signature: s },
      await importX509(identity.certPem, "PS256"),
      {
        crit: { "http://openbanking.org.uk/iat": true },
      },
    );
  });

  test("chain certificates follow the leaf in x5c", async () => {
    const { signer } = ids[2];
    const extra = ids[0].identity.certDer;
    const jws = await signJws("x", signer, { chain: [extra] });
    const x5c = headerOf(jws).x5c as string[];
    assert.equal(x5c.length, 2);
    assert.equal(x5c[0], Buffer.from(ids[2].identity.certDer).toString("base64"));
    assert.equal(x5c[1], Buffer.from(extra).toString("base64"));
  });

  for (const name of ["alg", "b64", "crit", "x5c", "toJSON", "__proto__"]) {
    test(`extraHeaders may not set ${name}`, async () => {
      // JSON.parse makes "__proto__" an own key, as a header map read from a request would.
      const extraHeaders = JSON.parse(`{"${name}": "evil"}`);
      if (name === "toJSON") extraHeaders.toJSON = () => ({ alg: "none", b64: true });
      await assert.rejects(
        signJws("x", ids[0].signer, { extraHeaders }),
        (err) => isPkcs11exError(err, "reserved_header") && err.detail.header === name,
      );
    });
  }

  test("extraHeaders values must be JSON; payloads must be bytes or text", async () => {
    for (const value of [1n, () => 1, undefined, Symbol("s")]) {
      await assert.rejects(signJws("x", ids[0].signer, { extraHeaders: { v: value } }), TypeError);
    }
    for (const kid of [5, "", null]) {
      await assert.rejects(signJws("x", ids[0].signer, { kid: kid as never }), TypeError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(signJws("x", ids[0].signer, { extraHeaders: { v: cyclic } }), TypeError);
    for (const payload of [[44], new ArrayBuffer(1), 5, null, { length: 0 }]) {
      await assert.rejects(signJws(payload as never, ids[0].signer), TypeError);
    }
  });

  test("extraHeaders may not collide with kid given as an option", async () => {
    await assert.rejects(
      signJws("x", ids[0].signer, { kid: "a", extraHeaders: { kid: "b" } }),
      (err) => isPkcs11exError(err, "reserved_header"),
    );
  });

  test("an alg other than the signer's is refused", async () => {
    await assert.rejects(
      signJws("x", ids[0].signer, { alg: "RS256" }),
      (err) => isPkcs11exError(err, "incompatible_alg"),
    );
  });

  test("critical names must be unregistered extraHeaders", async () => {
    await assert.rejects(signJws("x", ids[0].signer, { critical: ["kid"] }), RangeError);
    await assert.rejects(signJws("x", ids[0].signer, { critical: ["absent"] }), RangeError);
  });
});
