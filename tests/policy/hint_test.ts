import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { isPkcs11exError } from "../../src/core/errors.ts";
import { hintCertificates } from "../../src/policy/_hint.ts";
import { PinnedRegistry } from "../../src/policy/pinned_registry.ts";
import { verifyPipeline } from "../../src/policy/pipeline.ts";
import { makeSelfSigned } from "../_support/software_keys.ts";
import { makeTempDir } from "../_support/tmp.ts";

const malformed = (err: unknown) => isPkcs11exError(err, "malformed_certificate");

describe("hintCertificates memo of x5c text", () => {
  const { dir, cleanup } = makeTempDir();
  const a = makeSelfSigned(dir, "ec", { name: "a" });
  const b = makeSelfSigned(dir, "rsa", { name: "b" });
  cleanup();
  const textA = Buffer.from(a.certDer).toString("base64");
  const textB = Buffer.from(b.certDer).toString("base64");

  test("the same text gives the same certificate; each entry is its own", () => {
    const [leaf, second] = hintCertificates({ x5c: [textA, textB] });
    assert.deepEqual(leaf.der, a.certDer);
    assert.deepEqual(second.der, b.certDer);
    const [again, againB] = hintCertificates({ x5c: [textA, textB] });
    assert.equal(again, leaf);
    assert.equal(againB, second);
    // Another spelling of the same DER is the same certificate, never a different one.
    const wrapped = textA.replace(/(.{64})/g, "$1\n");
    assert.equal(hintCertificates({ x5c: [wrapped] })[0], leaf);
  });

  test("bad entries are refused on every call, before and after good ones are cached", () => {
    const notBase64 = textA.slice(0, -4) + "!!!!";
    const notCert = Buffer.from(a.certDer.subarray(0, 100)).toString("base64");
    const extraByte = Buffer.from([...a.certDer, 0]).toString("base64");
    for (let i = 0; i < 2; i++) {
      for (const bad of [notBase64, notCert, extraByte, 42]) {
        assert.throws(() => hintCertificates({ x5c: [bad as string] }), malformed);
      }
      hintCertificates({ x5c: [textA] });
    }
    assert.throws(() => hintCertificates({ x5c: [textA, notCert] }), malformed);
  });
});

describe("a remembered certificate is still judged on every verification", () => {
  const { dir, cleanup } = makeTempDir();
  const id = makeSelfSigned(dir, "ec", { name: "judged", days: 2 });
  cleanup();
  const x5c = [Buffer.from(id.certDer).toString("base64")];
  const accept = { verify: () => Promise.resolve(true) };
  const run = (policy: PinnedRegistry, validationTime?: Date) =>
    verifyPipeline({
      parsed: {
        alg: "ES256",
        signedInput: new Uint8Array(1),
        signature: new Uint8Array(64),
        encodingContext: "jose",
        signerHint: { x5c },
      },
      policy,
      allowedAlgs: ["ES256"],
      backend: accept,
      opts: { validationTime },
    });

  test("off-boarding (delete), expiry and the alg gate apply to a cached x5c", async () => {
    const pin = hintCertificates({ x5c })[0].spkiSha256Hex;
    const policy = new PinnedRegistry({ pins: { [pin]: "acme" } });
    assert.equal((await run(policy)).subjectId, "acme");
    assert.equal((await run(policy)).subjectId, "acme");
    await assert.rejects(
      run(policy, new Date(Date.now() + 10 * 86_400_000)),
      (err) => isPkcs11exError(err, "cert_expired"),
    );
    policy.delete(pin);
    await assert.rejects(run(policy), (err) => isPkcs11exError(err, "unknown_signer"));
  });
});
