/** verifyPdfWithPolicy: the allowlist gate before the digest and the math, trust reasons, times. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isPkcs11exError, type Pkcs11exReason } from "../../../src/core/errors.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { inspectPdfSignatures } from "../../../src/formats/pdf/inspect.ts";
import { signPdf } from "../../../src/formats/pdf/sign.ts";
import { type PdfSignatureToVerify, verifyPdfSignatures } from "../../../src/formats/pdf/verify.ts";
import {
  pdfTrustStep,
  verifyPdfSignaturesWithPolicy,
  verifyPdfWithPolicy,
  type VerifyPdfWithPolicyOptions,
} from "../../../src/formats/pdf/verify_policy.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import type { Policy } from "../../../src/policy/types.ts";
import { makeSelfSigned, softwareSigner, type TestIdentity } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { minimalPdf, text } from "./_helpers.ts";

const { dir, cleanup } = makeTempDir("pdf-policy-");
const ec = makeSelfSigned(dir, "ec", { name: "ec", subject: "/CN=EC Signer/O=pkcs11ex tests" });
const rsa = makeSelfSigned(dir, "rsa", { name: "rsa", subject: "/CN=RSA Signer/O=pkcs11ex" });
const ALGS = ["PS256", "RS256", "ES256"];

function pin(...ids: [TestIdentity, string][]): PinnedRegistry {
  const pins: Record<string, string> = {};
  for (const [id, subject] of ids) pins[parseCertificate(id.certDer).spkiSha256Hex] = subject;
  return new PinnedRegistry({ pins });
}

const signedEc = await signPdf(minimalPdf(), softwareSigner(ec, "ES256"), { reason: "policy" });

function opts(policy: Policy, extra: Partial<VerifyPdfWithPolicyOptions> = {}) {
  return { policy, allowedAlgs: ALGS, ...extra };
}

async function refuses(
  p: Promise<unknown>,
  reason: Pkcs11exReason,
  check: (e: { detail: Record<string, unknown> }) => void = () => {},
): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isPkcs11exError(e, reason), `${reason}: got ${e}`);
    check(e);
    return true;
  });
}

/** The trust step over `policy`, logging the policy's steps, the digest and the math in `calls`. */
function spied(policy: Policy, calls: string[]) {
  const spy: Policy = {
    resolve: (hint, ctx) => (calls.push("resolve"), policy.resolve(hint, ctx)),
    validate: (cert, chain, ctx) => (calls.push("validate"), policy.validate(cert, chain, ctx)),
  };
  const step = pdfTrustStep(opts(spy));
  return {
    verifyCms: (sig: PdfSignatureToVerify) => {
      const check = sig.checkMessageDigest;
      // The CMS math is the only reader of the signer key (`leaf.spkiDer`) in the trust step.
      const leaf = new Proxy(sig.cms.leaf, {
        get: (t, p) => (p === "spkiDer" && calls.push("math"), Reflect.get(t, p)),
      });
      return step({
        ...sig,
        cms: { ...sig.cms, leaf },
        checkMessageDigest: () => (calls.push("digest"), check()),
      });
    },
  };
}

/** A copy of `pdf` with one hex digit of the signature value flipped. */
function flipSignatureValue(pdf: Uint8Array): Uint8Array {
  const out = pdf.slice();
  const [sig] = inspectPdfSignatures(pdf).signatures;
  const [, a] = sig.byteRange!;
  // The SignerInfo signature is the last large OCTET STRING: flip a digit well inside
  // the DER (not in the zero padding), 20 bytes before its end.
  const hexEnd = a + 1 + sig.contentsDer!.length * 2;
  const at = hexEnd - 40;
  out[at] = out[at] === 0x30 ? 0x31 : 0x30;
  return out;
}

describe("verifyPdfWithPolicy", () => {
  test("a pinned signer: subject id, revision, changesAfter, alg, validation time", async () => {
    const before = Date.now();
    const { signatures } = await verifyPdfWithPolicy(signedEc, opts(pin([ec, "ec-signer"])));
    assert.equal(signatures.length, 1);
    const [s] = signatures;
    assert.ok(s.ok);
    assert.equal(s.result.kind, "signature");
    assert.equal(s.result.subjectId, "ec-signer");
    assert.equal(s.result.alg, "ES256");
    assert.equal(s.info.revision, 1);
    assert.equal(s.info.changesAfter, "none");
    assert.equal(s.result.timestamp, undefined);
    assert.ok(s.result.validationTime.getTime() >= before);
  });

  test("an unknown signer → unknown_signer; neither the digest nor the math runs", async () => {
    const calls: string[] = [];
    const pinned = pin([rsa, "other"]);
    const { signatures } = await verifyPdfSignatures(signedEc, spied(pinned, calls));
    assert.ok(!signatures[0].ok && signatures[0].error.reason === "unknown_signer");
    assert.deepEqual(calls, ["resolve"]);
    // Tampered bytes and a broken signature value change nothing: the gate answers first.
    const tampered = signedEc.slice();
    tampered[text(tampered).indexOf("signed text")] = 0x53;
    await refuses(verifyPdfWithPolicy(tampered, opts(pinned)), "unknown_signer");
    await refuses(
      verifyPdfWithPolicy(flipSignatureValue(signedEc), opts(pinned)),
      "unknown_signer",
    );
    // A pinned signer: the gate, then the digest, then the math.
    calls.length = 0;
    await verifyPdfSignatures(signedEc, spied(pin([ec, "ec"]), calls));
    assert.deepEqual(calls, ["resolve", "validate", "digest", "math"]);
  });

  test("a pinned signer with tampered bytes → message_digest_mismatch", async () => {
    const tampered = signedEc.slice();
    tampered[text(tampered).indexOf("signed text")] = 0x53;
    await refuses(verifyPdfWithPolicy(tampered, opts(pin([ec, "ec"]))), "message_digest_mismatch");
  });

  test("a pinned signer with a broken signature value → signature_invalid", async () => {
    await refuses(
      verifyPdfWithPolicy(flipSignatureValue(signedEc), opts(pin([ec, "ec"]))),
      "signature_invalid",
    );
  });

  test("alg gate, expectedSubject, and a bad policy argument", async () => {
    await refuses(
      verifyPdfWithPolicy(signedEc, { policy: pin([ec, "ec"]), allowedAlgs: ["PS256"] }),
      "disallowed_alg",
      (e) => assert.equal(e.detail.alg, "ES256"),
    );
    await refuses(
      verifyPdfWithPolicy(signedEc, opts(pin([ec, "ec"]), { expectedSubject: "someone" })),
      "unexpected_subject",
    );
    const good = await verifyPdfWithPolicy(
      signedEc,
      opts(pin([ec, "ec"]), { expectedSubject: "ec" }),
    );
    assert.ok(good.signatures[0].ok);
    assert.throws(
      () => verifyPdfWithPolicy(signedEc, { allowedAlgs: ALGS } as never),
      TypeError,
    );
  });

  test("validationTime: judged inside or outside the certificate's validity", async () => {
    const policy = pin([ec, "ec"]);
    const future = new Date(Date.now() + 400 * 86_400_000);
    await refuses(
      verifyPdfWithPolicy(signedEc, opts(policy, { validationTime: future })),
      "cert_expired",
    );
    const past = new Date(Date.now() - 3 * 86_400_000);
    await refuses(
      verifyPdfWithPolicy(signedEc, opts(policy, { validationTime: past })),
      "cert_not_yet_valid",
    );
    const inside = new Date(Date.now() + 86_400_000);
    const { signatures } = await verifyPdfWithPolicy(
      signedEc,
      opts(policy, { validationTime: inside }),
    );
    assert.ok(signatures[0].ok && signatures[0].result.validationTime === inside);
  });

  test("two signatures: each with its signer, revision and changesAfter; one unknown", async () => {
    const twice = await signPdf(signedEc, softwareSigner(rsa, "PS256"));
    const both = pin([ec, "ec"], [rsa, "rsa"]);
    const { signatures } = await verifyPdfWithPolicy(twice, opts(both));
    assert.deepEqual(
      signatures.map((s) => s.ok && [s.result.subjectId, s.info.revision, s.info.changesAfter]),
      [["ec", 1, "signatures_only"], ["rsa", 2, "none"]],
    );
    const onlyEc = await verifyPdfSignaturesWithPolicy(twice, opts(pin([ec, "ec"])));
    assert.deepEqual(
      onlyEc.signatures.map((s) => s.ok ? "ok" : s.error.reason),
      ["ok", "unknown_signer"],
    );
    await refuses(verifyPdfWithPolicy(twice, opts(pin([ec, "ec"]))), "unknown_signer");
  });

  test("cleanup", () => cleanup());
});
