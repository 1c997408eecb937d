import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { FlattenedSign, importPKCS8 } from "jose";
import { createPrivateKey } from "node:crypto";
import { signJws } from "../../../src/formats/jws/sign.ts";
import { verifyJws, type VerifyJwsOptions } from "../../../src/formats/jws/verify.ts";
import { encodeBase64url } from "../../../src/formats/jws/base64.ts";
import { parseDetachedJws } from "../../../src/formats/jws/parse.ts";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import type { DocumentSigner } from "../../../src/core/signer.ts";
import { ALGS, identityFor, pinned, withTempIdentities } from "./_identities.ts";
import { rejectsWith } from "../../_support/rejects.ts";

const enc = new TextEncoder();
const ids = withTempIdentities((dir) => [
  ...ALGS.map((alg) => identityFor(dir, alg)),
  identityFor(dir, "ES256", { name: "stranger" }),
]);
const [ps, , es] = ids;
const stranger = ids[4];
const base: VerifyJwsOptions = {
  policy: pinned(ids.slice(0, 4).map((id) => [id, `subj-${id.alg}`])),
  allowedAlgs: [...ALGS],
};
const payload = enc.encode('{"amount":"10.00"}');

/** Signs an arbitrary header text (b64:false signing input) with `signer`. */
async function craft(
  headerText: string,
  signer: DocumentSigner,
  body: Uint8Array = payload,
  b64Payload = false,
): Promise<string> {
  const p = encodeBase64url(headerText);
  const part = b64Payload ? enc.encode(encodeBase64url(body)) : body;
  const input = Buffer.concat([enc.encode(`${p}.`), part]);
  return `${p}..${encodeBase64url(await signer.sign(input, "jose"))}`;
}

function x5c(der: Uint8Array): string {
  return JSON.stringify([Buffer.from(der).toString("base64")]);
}

describe("verifyJws", () => {
  for (const { alg, signer } of ids.slice(0, 4)) {
    test(`verifies our ${alg} JWS and returns subject, header, certificate`, async () => {
      const jws = await signJws(payload, signer);
      const res = await verifyJws(jws, payload, base);
      assert.equal(res.subjectId, `subj-${alg}`);
      assert.equal(res.alg, alg);
      assert.equal(res.header.b64, false);
      assert.equal(res.certificate.spkiSha256Hex.length, 64);
    });
  }

  for (const { alg, identity } of ids.slice(0, 4)) {
    test(`verifies a detached b64:false ${alg} JWS that jose signed`, async () => {
      const key = alg === "EdDSA" ? createPrivateKey(identity.keyPem) : await importPKCS8(
        createPrivateKey(identity.keyPem).export({ type: "pkcs8", format: "pem" }) as string,
        alg,
      );
      const flat = await new FlattenedSign(payload)
        .setProtectedHeader({
          alg,
          b64: false,
          crit: ["b64"],
          x5c: [Buffer.from(identity.certDer).toString("base64")],
        })
        .sign(key);
      const res = await verifyJws(`${flat.protected}..${flat.signature}`, payload, base);
      assert.equal(res.subjectId, `subj-${alg}`);
    });
  }

  test("a string payload is its UTF-8 bytes", async () => {
    const jws = await signJws("héllo", es.signer);
    assert.equal((await verifyJws(jws, enc.encode("héllo"), base)).subjectId, "subj-ES256");
  });

  test("tampered payload → signature_invalid", async () => {
    const jws = await signJws(payload, ps.signer);
    await rejectsWith(verifyJws(jws, enc.encode('{"amount":"99.00"}'), base), "signature_invalid");
  });

  test("unknown signer → unknown_signer", async () => {
    await rejectsWith(
      verifyJws(await signJws(payload, stranger.signer), payload, base),
      "unknown_signer",
    );
  });

  test("expectedSubject mismatch → unexpected_subject", async () => {
    const jws = await signJws(payload, es.signer);
    await rejectsWith(
      verifyJws(jws, payload, { ...base, expectedSubject: "someone" }),
      "unexpected_subject",
    );
  });

  test("alg outside the allowlist → disallowed_alg; alg none → disallowed_alg", async () => {
    const jws = await signJws(payload, es.signer);
    await rejectsWith(
      verifyJws(jws, payload, { ...base, allowedAlgs: ["PS256"] }),
      "disallowed_alg",
    );
    const none = await craft(
      `{"alg":"none","b64":false,"crit":["b64"],"x5c":${x5c(es.identity.certDer)}}`,
      es.signer,
    );
    await rejectsWith(verifyJws(none, payload, base), "disallowed_alg");
    const noneUpper = `${
      encodeBase64url('{"alg":"NONE","b64":false,"crit":["b64"],"kid":"a"}')
    }..AA`;
    await rejectsWith(verifyJws(noneUpper, payload, base), "disallowed_alg");
  });

  test("unregistered alg → unsupported_alg", async () => {
    const jws = await craft(
      `{"alg":"XS999","b64":false,"crit":["b64"],"x5c":${x5c(es.identity.certDer)}}`,
      es.signer,
    );
    await rejectsWith(
      verifyJws(jws, payload, { ...base, allowedAlgs: ["XS999"] }),
      "unsupported_alg",
    );
  });

  describe("malformed_jws", () => {
    const good = `{"alg":"ES256","b64":false,"crit":["b64"],"x5c":${x5c(es.identity.certDer)}}`;
    const cases: [string, () => Promise<string> | string, string][] = [
      ["two segments", () => "abc.def", "segments"],
      ["four segments", () => "a.b.c.d", "segments"],
      ["empty string", () => "", "segments"],
      [
        "non-empty payload segment",
        async () => (await craft(good, es.signer)).replace("..", ".eyJ9."),
        "not_detached",
      ],
      [
        "padded header",
        async () => (await craft(good, es.signer)).replace(/^([^.]*)/, "$1="),
        "header_base64url",
      ],
      [
        "invalid header char",
        async () => `+${(await craft(good, es.signer)).slice(1)}`,
        "header_base64url",
      ],
      ["empty header", () => "..AAAA", "header_base64url"],
      ["header not JSON", () => `${encodeBase64url("{alg:ES256")}..AAAA`, "header_json"],
      [
        "header not UTF-8",
        () => `${encodeBase64url(new Uint8Array([0x7b, 0xff, 0x7d]))}..AAAA`,
        "header_json",
      ],
      ["header an array", () => `${encodeBase64url("[1]")}..AAAA`, "header_not_object"],
      ["header null", () => `${encodeBase64url("null")}..AAAA`, "header_not_object"],
      [
        "duplicate alg",
        () =>
          craft(`{"alg":"ES256","alg":"ES256","b64":false,"crit":["b64"],"kid":"a"}`, es.signer),
        "duplicate_header",
      ],
      [
        "duplicate via escape",
        () =>
          craft(
            `{"alg":"ES256","\\u0061lg":"none","b64":false,"crit":["b64"],"kid":"a"}`,
            es.signer,
          ),
        "duplicate_header",
      ],
      ["padded signature", async () => `${await craft(good, es.signer)}=`, "signature_base64url"],
      [
        "signature with invalid char",
        async () => `${await craft(good, es.signer)}*`,
        "signature_base64url",
      ],
      [
        "empty signature",
        async () => (await craft(good, es.signer)).replace(/\.\.[^.]*$/, ".."),
        "signature_base64url",
      ],
      ["crit empty", () => craft(`{"alg":"ES256","crit":[],"kid":"a"}`, es.signer), "crit_shape"],
      [
        "crit repeats",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64","b64"],"kid":"a"}`, es.signer),
        "crit_shape",
      ],
      [
        "crit lists a registered header",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64","kid"],"kid":"a"}`, es.signer),
        "crit_registered",
      ],
      [
        "unknown crit entry",
        () =>
          craft(`{"alg":"ES256","b64":false,"crit":["b64","exp"],"exp":1,"kid":"a"}`, es.signer),
        "unsupported_crit",
      ],
      [
        "x5c not base64",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64"],"x5c":["not base64!"]}`, es.signer),
        "x5c_shape",
      ],
      [
        "x5c base64url instead of base64",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64"],"x5c":["__8"]}`, es.signer),
        "x5c_shape",
      ],
      [
        "x5c empty",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64"],"x5c":[]}`, es.signer),
        "x5c_shape",
      ],
      [
        "kid not a string",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64"],"kid":7}`, es.signer),
        "kid_shape",
      ],
      [
        "x5t#S256 wrong length",
        () => craft(`{"alg":"ES256","b64":false,"crit":["b64"],"x5t#S256":"AAAA"}`, es.signer),
        "x5t_shape",
      ],
      [
        "alg not a string",
        () => craft(`{"alg":1,"b64":false,"crit":["b64"],"kid":"a"}`, es.signer),
        "alg_shape",
      ],
      ["oversized", () => `${"A".repeat(300 * 1024)}..AAAA`, "too_long"],
      [
        // Deep enough to overflow the stack of any recursive walk over the parsed header.
        "header nested 60 000 levels deep",
        () =>
          `${
            encodeBase64url(`{"alg":"ES256","x":${"[".repeat(60_000)}${"]".repeat(60_000)}}`)
          }..AAAA`,
        "header_too_deep",
      ],
    ];
    for (const [name, make, kind] of cases) {
      test(name, async () => {
        const jws = await make();
        await rejectsWith(verifyJws(jws, payload, base), "malformed_jws", { kind });
      });
    }

    test("a payload that is not bytes or text is a TypeError, not read byte by byte", async () => {
      const jws = await craft(good, es.signer);
      for (const other of [[...payload], { length: payload.length }, payload.buffer]) {
        await assert.rejects(verifyJws(jws, other as never, base), TypeError);
      }
    });

    test("truncations of a good JWS never crash", async () => {
      const jws = await craft(good, es.signer);
      for (let n = 0; n < jws.length; n += 7) {
        await assert.rejects(
          verifyJws(jws.slice(0, n), payload, base),
          (err) => isPkcs11exError(err),
        );
      }
    });

    test("a non-string JWS is a TypeError", async () => {
      await assert.rejects(verifyJws(42 as unknown as string, payload, base), TypeError);
    });
  });

  describe("missing_required_header", () => {
    test("no alg", async () => {
      const jws = await craft(`{"b64":false,"crit":["b64"],"kid":"a"}`, es.signer);
      await rejectsWith(verifyJws(jws, payload, base), "missing_required_header", {
        header: "alg",
      });
    });
    test("no b64/crit in the default (b64false) mode", async () => {
      const jws = await signJws(payload, es.signer, { b64: true });
      await rejectsWith(verifyJws(jws, payload, base), "missing_required_header", {
        header: "crit",
      });
    });
    test("no identity hint", async () => {
      const jws = await craft(`{"alg":"ES256","b64":false,"crit":["b64"]}`, es.signer);
      await rejectsWith(verifyJws(jws, payload, base), "missing_required_header", {
        header: "x5c",
      });
    });
    test("a declared crit header absent from the header", async () => {
      const jws = await craft(
        `{"alg":"ES256","b64":false,"crit":["b64","urn:x"],"kid":"a"}`,
        es.signer,
      );
      await rejectsWith(
        verifyJws(jws, payload, { ...base, criticalHeaders: { "urn:x": () => {} } }),
        "missing_required_header",
        { header: "urn:x" },
      );
    });
  });

  describe("b64_crit_violation (RFC 7797 §6, both directions)", () => {
    const hint = `"x5c":${x5c(es.identity.certDer)}`;
    test("b64:false without crit", async () => {
      const jws = await craft(`{"alg":"ES256","b64":false,${hint}}`, es.signer);
      await rejectsWith(verifyJws(jws, payload, base), "b64_crit_violation", {
        kind: "b64_not_in_crit",
      });
    });
    test("b64:false with crit not listing it", async () => {
      const jws = await craft(
        `{"alg":"ES256","b64":false,"crit":["urn:x"],"urn:x":1,${hint}}`,
        es.signer,
      );
      await rejectsWith(
        verifyJws(jws, payload, { ...base, criticalHeaders: { "urn:x": () => {} } }),
        "b64_crit_violation",
        { kind: "b64_not_in_crit" },
      );
    });
    test("crit lists b64 but b64 is absent", async () => {
      const jws = await craft(`{"alg":"ES256","crit":["b64"],${hint}}`, es.signer);
      await rejectsWith(verifyJws(jws, payload, base), "b64_crit_violation", {
        kind: "crit_without_b64",
      });
    });
    test("b64 not a boolean", async () => {
      const jws = await craft(`{"alg":"ES256","b64":"false","crit":["b64"],${hint}}`, es.signer);
      await rejectsWith(verifyJws(jws, payload, base), "b64_crit_violation", {
        kind: "b64_not_boolean",
      });
    });
    test("b64:false when only b64true is accepted", async () => {
      const jws = await signJws(payload, es.signer);
      await rejectsWith(
        verifyJws(jws, payload, { ...base, payloadModes: ["b64true"] }),
        "b64_crit_violation",
        { kind: "mode_not_accepted" },
      );
    });
  });

  describe("payload modes", () => {
    test("b64true is accepted when configured, b64:true+crit too", async () => {
      const modes = { ...base, payloadModes: ["b64false", "b64true"] as const };
      const plain = await signJws(payload, ps.signer, { b64: true });
      assert.equal((await verifyJws(plain, payload, modes)).subjectId, "subj-PS256");
      const explicit = await craft(
        `{"alg":"ES256","b64":true,"crit":["b64"],"x5c":${x5c(es.identity.certDer)}}`,
        es.signer,
        payload,
        true,
      );
      assert.equal((await verifyJws(explicit, payload, modes)).subjectId, "subj-ES256");
      await rejectsWith(verifyJws(plain, enc.encode("other"), modes), "signature_invalid");
    });
  });

  describe("a repeated protected header (remembered by its exact text)", () => {
    test("each call still applies its own options: modes, crit, allowlist, payload", async () => {
      const jws = await signJws(payload, ps.signer, { b64: true });
      const modes = { ...base, payloadModes: ["b64false", "b64true"] as const };
      assert.equal((await verifyJws(jws, payload, modes)).subjectId, "subj-PS256");
      await rejectsWith(verifyJws(jws, payload, base), "missing_required_header");
      await rejectsWith(
        verifyJws(jws, payload, { ...modes, allowedAlgs: ["ES256"] }),
        "disallowed_alg",
      );
      await rejectsWith(verifyJws(jws, enc.encode("other"), modes), "signature_invalid");
      assert.equal((await verifyJws(jws, payload, modes)).subjectId, "subj-PS256");
    });

    test("a header that failed is refused again; the header handed out is frozen", async () => {
      const hint = `"x5c":${x5c(es.identity.certDer)}`;
      const bad = await craft(`{"alg":"ES256","alg":"ES256",${hint}}`, es.signer);
      for (let i = 0; i < 2; i++) {
        await rejectsWith(verifyJws(bad, payload, base), "malformed_jws", {
          kind: "duplicate_header",
        });
      }
      const jws = await signJws(payload, es.signer);
      const first = parseDetachedJws(jws, { payload });
      const again = parseDetachedJws(jws, { payload });
      assert.ok(Object.isFrozen(again.header));
      assert.ok(Object.isFrozen(again.signerHint.x5c));
      assert.throws(() => {
        (again.header as Record<string, unknown>).alg = "none";
      }, TypeError);
      assert.deepEqual(again, first);
      assert.equal(parseDetachedJws(jws, { payload }).header.alg, "ES256");
    });
  });

  describe("criticalHeaders (Open Banking style)", () => {
    const IAT = "http://openbanking.org.uk/iat";
    const ISS = "http://openbanking.org.uk/iss";
    const TAN = "http://openbanking.org.uk/tan";
    const criticalHeaders = {
      [IAT]: (v: unknown) => {
        if (typeof v !== "number" || Math.abs(Date.now() / 1000 - v) > 300) {
          throw new Error("iat skew");
        }
      },
      [ISS]: (v: unknown, _h: unknown, ctx: { subjectId: unknown }) => {
        if (v !== ctx.subjectId) throw new Error("iss is not the signer");
      },
      [TAN]: (v: unknown) => {
        if (v !== "openbanking.org.uk") throw new Error("tan");
      },
    };
    const sign = (iat: number, iss: string) =>
      signJws(payload, ps.signer, {
        b64: true,
        kid: "ob-kid",
        extraHeaders: {
          typ: "JOSE",
          cty: "application/json",
          [IAT]: iat,
          [ISS]: iss,
          [TAN]: "openbanking.org.uk",
        },
        critical: [IAT, ISS, TAN],
      });
    const opts = { ...base, payloadModes: ["b64true"] as const, criticalHeaders };

    test("passes when every validator accepts", async () => {
      const jws = await sign(Math.floor(Date.now() / 1000), "subj-PS256");
      const res = await verifyJws(jws, payload, opts);
      assert.equal(res.header[TAN], "openbanking.org.uk");
    });
    test("a stale iat → policy_failed naming the header", async () => {
      const jws = await sign(Math.floor(Date.now() / 1000) - 3600, "subj-PS256");
      await rejectsWith(verifyJws(jws, payload, opts), "policy_failed", { header: IAT });
    });
    test("iss not the signer's subject → policy_failed", async () => {
      const jws = await sign(Math.floor(Date.now() / 1000), "someone-else");
      await rejectsWith(verifyJws(jws, payload, opts), "policy_failed", { header: ISS });
    });
    test("undeclared OB claims are refused", async () => {
      const jws = await sign(Math.floor(Date.now() / 1000), "subj-PS256");
      await rejectsWith(
        verifyJws(jws, payload, { ...base, payloadModes: ["b64true"] }),
        "malformed_jws",
        { kind: "unsupported_crit" },
      );
    });
  });
});
