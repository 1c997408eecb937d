/**
 * The Open Banking UK `x-jws-signature` example of docs/jws.md: v3.1.3 (`b64:false`) and
 * v3.1.4+ (base64url payload) with the critical claims `http://openbanking.org.uk/iat`,
 * `/iss` and `/tan` validated, a `kid`-only header resolved through the PinnedRegistry, and
 * the same over real HTTP through the Hono middleware.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { signJws, type SignJwsOptions } from "../../../src/formats/jws/sign.ts";
import {
  type CriticalHeaderValidator,
  verifyJws,
  type VerifyJwsOptions,
} from "../../../src/formats/jws/verify.ts";
import { decodeBase64url } from "../../../src/formats/jws/base64.ts";
import { Pkcs11exError } from "../../../src/core/errors.ts";
import type { DocumentSigner } from "../../../src/core/signer.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import { jwsVerify, type Variables } from "../../../src/middleware/hono.ts";
import { serve } from "../../middleware/_server.ts";
import { identityFor, withTempIdentities } from "./_identities.ts";
import { rejectsWith } from "../../_support/rejects.ts";

const OB = "http://openbanking.org.uk";
const IAT = `${OB}/iat`;
const ISS = `${OB}/iss`;
const TAN = `${OB}/tan`;
const ORG = "0015800001041REAAY/2kiXQyo0tedjW2somjSgH7"; // org id / software statement id
const KID = "2kiXQyo0tedjW2somjSgH7";

const enc = new TextEncoder();
const body = enc.encode('{"Data":{"Initiation":{"InstructedAmount":{"Amount":"10.00"}}}}');
const { tpp, other } = withTempIdentities((dir) => ({
  tpp: identityFor(dir, "PS256", { name: "tpp" }),
  other: identityFor(dir, "PS256", { name: "other" }),
}));
// Open Banking headers name the key by `kid` only (the receiver holds the certificate).
const kidOnly = (signer: DocumentSigner): DocumentSigner => ({ ...signer, certificates: [] });
const policy = new PinnedRegistry({
  pins: { [parseCertificate(tpp.identity.certDer).spkiSha256Hex]: ORG },
  kids: { [KID]: tpp.identity.certDer },
});

/** The sender's options for a spec version. */
function obSign(
  version: "3.1.3" | "3.1.4",
  claims: Record<string, unknown> = {},
): SignJwsOptions {
  return {
    b64: version === "3.1.3" ? false : true,
    kid: KID,
    extraHeaders: {
      typ: "JOSE",
      cty: "application/json",
      [IAT]: Math.floor(Date.now() / 1000) - 5,
      [ISS]: ORG,
      [TAN]: "openbanking.org.uk",
      ...claims,
    },
    critical: [IAT, ISS, TAN],
  };
}

/** The receiver's validators: iat in the past and within 5 minutes, iss the signer, tan fixed. */
const criticalHeaders: Record<string, CriticalHeaderValidator> = {
  [IAT]: (v) => {
    const now = Date.now() / 1000;
    if (!Number.isInteger(v) || (v as number) > now + 30 || (v as number) < now - 300) {
      throw new Error("iat is not within the allowed window");
    }
  },
  [ISS]: (v, _header, { subjectId }) => {
    if (v !== subjectId) {
      throw new Pkcs11exError("unexpected_subject", "the iss claim is not the signer", {
        detail: { header: ISS },
      });
    }
  },
  [TAN]: (v) => {
    if (v !== "openbanking.org.uk") throw new Error("untrusted anchor");
  },
};
const migrating: VerifyJwsOptions = {
  policy,
  allowedAlgs: ["PS256"],
  payloadModes: ["b64false", "b64true"],
  criticalHeaders,
};
const REQUIRED = [IAT, ISS, TAN];

function headerOf(jws: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBase64url(jws.split(".")[0])));
}

describe("Open Banking UK x-jws-signature", () => {
  test("v3.1.3 header: b64:false, crit lists b64 then the three claims", async () => {
    const jws = await signJws(body, kidOnly(tpp.signer), obSign("3.1.3"));
    const header = headerOf(jws);
    assert.equal(header.b64, false);
    assert.deepEqual(header.crit, ["b64", IAT, ISS, TAN]);
    assert.equal(header.kid, KID);
    assert.equal(header.x5c, undefined);
    const res = await verifyJws(jws, body, migrating);
    assert.equal(res.subjectId, ORG);
    assert.equal(res.header[TAN], "openbanking.org.uk");
  });

  test("v3.1.4 header: no b64, crit lists only the claims; payload base64url-signed", async () => {
    const jws = await signJws(body, kidOnly(tpp.signer), obSign("3.1.4"));
    const header = headerOf(jws);
    assert.equal(Object.hasOwn(header, "b64"), false);
    assert.deepEqual(header.crit, [IAT, ISS, TAN]);
    assert.equal((await verifyJws(jws, body, migrating)).subjectId, ORG);
    await rejectsWith(verifyJws(jws, enc.encode("{}"), migrating), "signature_invalid");
  });

  test("a verifier pinned to one version refuses the other", async () => {
    const v313 = await signJws(body, kidOnly(tpp.signer), obSign("3.1.3"));
    const v314 = await signJws(body, kidOnly(tpp.signer), obSign("3.1.4"));
    await rejectsWith(
      verifyJws(v314, body, { ...migrating, payloadModes: ["b64false"] }),
      "missing_required_header",
      { header: "crit" },
    );
    await rejectsWith(
      verifyJws(v313, body, { ...migrating, payloadModes: ["b64true"] }),
      "b64_crit_violation",
      { kind: "mode_not_accepted" },
    );
  });

  for (const version of ["3.1.3", "3.1.4"] as const) {
    test(`v${version}: each claim is validated`, async () => {
      const sign = (claims: Record<string, unknown>) =>
        signJws(body, kidOnly(tpp.signer), obSign(version, claims));
      const now = Math.floor(Date.now() / 1000);
      await rejectsWith(
        verifyJws(await sign({ [IAT]: now - 3600 }), body, migrating),
        "policy_failed",
        {
          header: IAT,
        },
      );
      await rejectsWith(
        verifyJws(await sign({ [IAT]: now + 3600 }), body, migrating),
        "policy_failed",
        {
          header: IAT,
        },
      );
      await rejectsWith(verifyJws(await sign({ [IAT]: "now" }), body, migrating), "policy_failed", {
        header: IAT,
      });
      // A validator's own Pkcs11exError propagates as is.
      await rejectsWith(
        verifyJws(await sign({ [ISS]: "0015800001041REAAY/other" }), body, migrating),
        "unexpected_subject",
        { header: ISS },
      );
      await rejectsWith(
        verifyJws(await sign({ [TAN]: "evil.example" }), body, migrating),
        "policy_failed",
        {
          header: TAN,
        },
      );
    });
  }

  test("requiredCritical: a JWS without a claim → missing_required_header", async () => {
    const opts = obSign("3.1.4");
    const { [TAN]: _dropped, ...extraHeaders } = opts.extraHeaders ?? {};
    const noTan = await signJws(body, kidOnly(tpp.signer), {
      ...opts,
      extraHeaders,
      critical: [IAT, ISS],
    });
    const plain = await signJws(body, kidOnly(tpp.signer), { b64: true, kid: KID });
    // Declaring the validators alone lets a sender leave the claims out…
    assert.equal((await verifyJws(noTan, body, migrating)).subjectId, ORG);
    assert.equal((await verifyJws(plain, body, migrating)).subjectId, ORG);
    // …requiredCritical insists on them.
    const strict = { ...migrating, requiredCritical: [IAT, ISS, TAN] };
    await rejectsWith(verifyJws(noTan, body, strict), "missing_required_header", { header: TAN });
    await rejectsWith(verifyJws(plain, body, strict), "missing_required_header", { header: IAT });
    const good = await signJws(body, kidOnly(tpp.signer), obSign("3.1.3"));
    assert.equal((await verifyJws(good, body, strict)).subjectId, ORG);
    await assert.rejects(
      verifyJws(good, body, { ...migrating, requiredCritical: [`${OB}/other`] }),
      RangeError,
    );
  });

  test("another key under the registered kid → signature_invalid; unknown kid → unknown_signer", async () => {
    const impostor = await signJws(body, kidOnly(other.signer), obSign("3.1.4"));
    await rejectsWith(verifyJws(impostor, body, migrating), "signature_invalid");
    const unknown = await signJws(body, kidOnly(tpp.signer), { ...obSign("3.1.4"), kid: "nope" });
    await rejectsWith(verifyJws(unknown, body, migrating), "unknown_signer");
  });

  test("through the Hono middleware on x-jws-signature, both versions, real HTTP", async () => {
    const app = new Hono<{ Variables: Variables }>();
    app.use(
      "/open-banking/*",
      jwsVerify({
        jws: {
          verify: (jws, payload, opts) =>
            verifyJws(jws, payload, { policy, allowedAlgs: ["PS256"], ...opts }),
        },
      }, {
        header: "x-jws-signature",
        payloadModes: ["b64false", "b64true"],
        criticalHeaders,
        requiredCritical: REQUIRED,
        exposeReason: true,
      }),
    );
    app.post(
      "/open-banking/v3.1/pisp/domestic-payments",
      async (c) =>
        c.json({
          tpp: c.get("pkcs11exSubject"),
          amount: (await c.req.json()).Data.Initiation.InstructedAmount.Amount,
        }),
    );
    const server = await serve(app.fetch);
    try {
      const url = `${server.url}/open-banking/v3.1/pisp/domestic-payments`;
      for (const version of ["3.1.3", "3.1.4"] as const) {
        const jws = await signJws(body, kidOnly(tpp.signer), obSign(version));
        const ok = await fetch(url, { method: "POST", body, headers: { "x-jws-signature": jws } });
        assert.equal(ok.status, 200, version);
        assert.deepEqual(await ok.json(), { tpp: ORG, amount: "10.00" });
        const stale = await signJws(body, kidOnly(tpp.signer), obSign(version, { [IAT]: 1 }));
        const refused = await fetch(url, {
          method: "POST",
          body,
          headers: { "x-jws-signature": stale },
        });
        assert.equal(refused.status, 401);
        assert.deepEqual(await refused.json(), { error: "policy_failed" });
        const bare = await signJws(body, kidOnly(tpp.signer), {
          b64: version === "3.1.4",
          kid: KID,
        });
        const missing = await fetch(url, {
          method: "POST",
          body,
          headers: { "x-jws-signature": bare },
        });
        assert.deepEqual(await missing.json(), { error: "missing_required_header" });
      }
    } finally {
      await server.close();
    }
  });
});
