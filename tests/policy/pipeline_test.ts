import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { isPkcs11exError } from "../../src/core/errors.ts";
import type { VerifyBackend } from "../../src/core/verify_bytes.ts";
import { parseCertificate } from "../../src/core/x509.ts";
import {
  Allow,
  PinnedRegistry,
  type Policy,
  type SignerHint,
  verifyPipeline,
} from "../../src/policy/mod.ts";
import { makeSelfSigned, type TestIdentity } from "../_support/software_keys.ts";
import { makeTempDir } from "../_support/tmp.ts";

const data = new TextEncoder().encode("payload");
const DAY = 86_400_000;

function reason(r: string) {
  return (err: unknown) => isPkcs11exError(err, r as never);
}

function signWith(id: TestIdentity, alg: string, bytes = data): Uint8Array {
  const key = createPrivateKey(id.keyPem);
  if (alg === "PS256") {
    return new Uint8Array(nodeSign("sha256", bytes, { key, padding: 6, saltLength: 32 }));
  }
  if (alg === "ES256") {
    return new Uint8Array(nodeSign("sha256", bytes, { key, dsaEncoding: "ieee-p1363" }));
  }
  if (alg === "EdDSA") return new Uint8Array(nodeSign(null, bytes, key));
  return new Uint8Array(nodeSign("sha256", bytes, key));
}

const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
const x5t = (der: Uint8Array) =>
  Buffer.from(parseCertificate(der).certSha256Hex, "hex").toString("base64url");

function spyBackend(): VerifyBackend & { calls: number } {
  const spy = {
    calls: 0,
    verify(): Promise<boolean> {
      spy.calls++;
      return Promise.resolve(true);
    },
  };
  return spy;
}

describe("verifyPipeline with PinnedRegistry", () => {
  const { dir, cleanup } = makeTempDir();
  const rsa = makeSelfSigned(dir, "rsa", { name: "rsa" });
  const ec = makeSelfSigned(dir, "ec", { name: "ec" });
  const ed = makeSelfSigned(dir, "ed25519", { name: "ed" });
  const other = makeSelfSigned(dir, "rsa", { name: "other" });
  const pin = (id: TestIdentity) => parseCertificate(id.certDer).spkiSha256Hex;
  const policy = new PinnedRegistry({
    pins: { [pin(rsa)]: "acme", [pin(ec)]: "beta", [pin(ed)]: "gamma" },
  });
  const allowedAlgs = ["PS256", "RS256", "ES256", "EdDSA", "HS256", "none"];

  function parsed(
    id: TestIdentity,
    alg: string,
    hint: SignerHint = { x5c: [b64(id.certDer)] },
    signature = signWith(id, alg),
  ) {
    return {
      signedInput: data,
      signature,
      alg,
      encodingContext: "jose" as const,
      signerHint: hint,
    };
  }

  test("accepts PS256, RS256, ES256 and EdDSA signatures made by node:crypto", async () => {
    for (
      const [id, alg, want] of [[rsa, "PS256", "acme"], [rsa, "RS256", "acme"], [
        ec,
        "ES256",
        "beta",
      ], [ed, "EdDSA", "gamma"]] as const
    ) {
      const res = await verifyPipeline({
        parsed: parsed(id, alg),
        policy,
        allowedAlgs,
        opts: { expectedSubject: want },
      });
      assert.equal(res.subjectId, want);
      assert.equal(res.alg, alg);
      assert.equal(res.certificate.spkiSha256Hex, pin(id));
    }
  });

  test("step 2: none is always disallowed, allowlist misses and unknown algs abort before the policy", async () => {
    const backend = spyBackend();
    const trap: Policy = {
      resolve: () => assert.fail("resolve ran"),
      validate: () => assert.fail("validate ran"),
    };
    await assert.rejects(
      verifyPipeline({ parsed: parsed(rsa, "none"), policy: trap, allowedAlgs, backend }),
      reason("disallowed_alg"),
    );
    await assert.rejects(
      verifyPipeline({
        parsed: parsed(rsa, "PS256"),
        policy: trap,
        allowedAlgs: ["ES256"],
        backend,
      }),
      reason("disallowed_alg"),
    );
    await assert.rejects(
      verifyPipeline({ parsed: parsed(rsa, "HS256"), policy: trap, allowedAlgs, backend }),
      reason("unsupported_alg"),
    );
    assert.equal(backend.calls, 0);
  });

  test("step 3: an unpinned signer is unknown_signer and no math runs (spy)", async () => {
    const backend = spyBackend();
    await assert.rejects(
      verifyPipeline({ parsed: parsed(other, "PS256"), policy, allowedAlgs, backend }),
      reason("unknown_signer"),
    );
    await assert.rejects(
      verifyPipeline({ parsed: parsed(rsa, "PS256", {}), policy, allowedAlgs, backend }),
      reason("unknown_signer"),
    );
    await assert.rejects(
      verifyPipeline({
        parsed: parsed(rsa, "PS256", { kid: "rsa" }),
        policy,
        allowedAlgs,
        backend,
      }),
      reason("unknown_signer"),
    );
    assert.equal(backend.calls, 0);
    await verifyPipeline({ parsed: parsed(rsa, "PS256"), policy, allowedAlgs, backend });
    assert.equal(backend.calls, 1);
  });

  test("step 3: x5t#S256 and kid resolve only through the registry; disagreeing hints are hint_mismatch", async () => {
    const reg = new PinnedRegistry({
      pins: { [pin(rsa)]: "acme" },
      certificates: [rsa.certPem],
      kids: { "k-1": rsa.certDer, "k-2": other.certDer },
    });
    assert.equal(
      (await verifyPipeline({
        parsed: parsed(rsa, "PS256", { "x5t#S256": x5t(rsa.certDer) }),
        policy: reg,
        allowedAlgs,
      })).subjectId,
      "acme",
    );
    assert.equal(
      (await verifyPipeline({
        parsed: parsed(rsa, "PS256", { kid: "k-1" }),
        policy: reg,
        allowedAlgs,
      })).subjectId,
      "acme",
    );
    const mismatch = [
      { x5c: [b64(rsa.certDer)], "x5t#S256": x5t(other.certDer) },
      { x5c: [b64(rsa.certDer)], kid: "k-2" },
      { "x5t#S256": x5t(rsa.certDer), kid: "k-2" },
    ];
    for (const hint of mismatch) {
      await assert.rejects(
        verifyPipeline({ parsed: parsed(rsa, "PS256", hint), policy: reg, allowedAlgs }),
        reason("hint_mismatch"),
      );
    }
    await assert.rejects(
      verifyPipeline({ parsed: parsed(rsa, "PS256", { x5c: ["@@"] }), policy: reg, allowedAlgs }),
      reason("malformed_certificate"),
    );
  });

  test("put / delete change who is trusted at run time", async () => {
    const reg = new PinnedRegistry();
    await assert.rejects(
      verifyPipeline({ parsed: parsed(other, "RS256"), policy: reg, allowedAlgs }),
      reason("unknown_signer"),
    );
    reg.put(pin(other).toUpperCase(), "late");
    assert.equal(
      (await verifyPipeline({ parsed: parsed(other, "RS256"), policy: reg, allowedAlgs }))
        .subjectId,
      "late",
    );
    assert.equal(reg.delete(pin(other)), true);
    await assert.rejects(
      verifyPipeline({ parsed: parsed(other, "RS256"), policy: reg, allowedAlgs }),
      reason("unknown_signer"),
    );
    assert.throws(() => reg.put("abc", "x"), RangeError);
    const resolved = policy.resolve({ x5c: [b64(rsa.certDer)] });
    const temp = new PinnedRegistry();
    assert.throws(() => temp.validate(resolved.certificate), reason("untrusted_signer"));
  });

  test("step 4: validity at validationTime with maxClockSkew; negative skew is a RangeError", async () => {
    const p = parsed(rsa, "PS256");
    const cert = parseCertificate(rsa.certDer);
    await assert.rejects(
      verifyPipeline({
        parsed: p,
        policy,
        allowedAlgs,
        opts: { validationTime: new Date(Date.now() + 60 * DAY) },
      }),
      reason("cert_expired"),
    );
    await assert.rejects(
      verifyPipeline({
        parsed: p,
        policy,
        allowedAlgs,
        opts: { validationTime: new Date(Date.now() - 2 * DAY) },
      }),
      reason("cert_not_yet_valid"),
    );
    await verifyPipeline({
      parsed: p,
      policy,
      allowedAlgs,
      opts: { validationTime: new Date(cert.notAfter.getTime() + 20_000) },
    });
    await assert.rejects(
      verifyPipeline({
        parsed: p,
        policy,
        allowedAlgs,
        opts: { validationTime: new Date(cert.notAfter.getTime() + 20_000), maxClockSkew: 0 },
      }),
      reason("cert_expired"),
    );
    await assert.rejects(
      verifyPipeline({ parsed: p, policy, allowedAlgs, opts: { maxClockSkew: -1 } }),
      RangeError,
    );
  });

  test("step 5: alg / key mismatch is incompatible_alg before the math", async () => {
    const backend = spyBackend();
    await assert.rejects(
      verifyPipeline({
        parsed: parsed(rsa, "ES256", undefined, new Uint8Array(64)),
        policy,
        allowedAlgs,
        backend,
      }),
      reason("incompatible_alg"),
    );
    await assert.rejects(
      verifyPipeline({
        parsed: parsed(ec, "PS256", undefined, new Uint8Array(256)),
        policy,
        allowedAlgs,
        backend,
      }),
      reason("incompatible_alg"),
    );
    assert.equal(backend.calls, 0);
  });

  test("step 6: a policy that throws a plain error is policy_failed", async () => {
    const bad: Policy = {
      resolve: (h) => policy.resolve(h),
      validate: () => {
        throw new Error("limit exceeded");
      },
    };
    await assert.rejects(
      verifyPipeline({ parsed: parsed(rsa, "PS256"), policy: bad, allowedAlgs }),
      (e) => isPkcs11exError(e, "policy_failed") && e.detail.step === "validate",
    );
  });

  test("step 7 and 8: tampered input is signature_invalid, another subject is unexpected_subject", async () => {
    const p = parsed(rsa, "PS256");
    await assert.rejects(
      verifyPipeline({
        parsed: { ...p, signedInput: new TextEncoder().encode("payloaD") },
        policy,
        allowedAlgs,
      }),
      reason("signature_invalid"),
    );
    await assert.rejects(
      verifyPipeline({ parsed: p, policy, allowedAlgs, opts: { expectedSubject: "beta" } }),
      (e) =>
        isPkcs11exError(e, "unexpected_subject") && e.detail.got === "acme" &&
        e.detail.want === "beta",
    );
  });

  test("Allow trusts anyone in tests and refuses production", async () => {
    const res = await verifyPipeline({
      parsed: parsed(other, "RS256"),
      policy: new Allow(),
      allowedAlgs,
    });
    assert.match(res.subjectId, /CN=other/);
    assert.throws(() => new Allow({ environment: "production" }), reason("invalid_config"));
  });

  test("cleanup", () => cleanup());
});
