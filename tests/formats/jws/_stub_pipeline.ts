/**
 * A stand-in for src/policy/pipeline.ts until it lands: pins by SPKI SHA-256 of the x5c
 * leaf, checks the alg gate and validity, verifies with node:crypto. Tests only.
 */
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { Buffer } from "node:buffer";
import { Pkcs11exError } from "../../../src/core/errors.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import type { VerifyPipeline } from "../../../src/formats/jws/verify.ts";

/** A pin table: SPKI SHA-256 hex → subject. */
export interface StubPolicy {
  pins: Record<string, string>;
}

const KNOWN = new Set(["PS256", "RS256", "ES256", "EdDSA"]);

/** The stub pipeline. */
export const stubPipeline: VerifyPipeline = ({ parsed, policy, allowedAlgs, opts }) => {
  const { alg } = parsed;
  if (!allowedAlgs.includes(alg)) throw new Pkcs11exError("disallowed_alg", "disallowed");
  if (!KNOWN.has(alg)) throw new Pkcs11exError("unsupported_alg", "unsupported");
  const leaf = parsed.signerHint.x5c?.[0];
  if (leaf === undefined) throw new Pkcs11exError("unknown_signer", "no x5c");
  const certificate = parseCertificate(Buffer.from(leaf, "base64"));
  const subjectId = (policy as StubPolicy).pins[certificate.spkiSha256Hex];
  if (subjectId === undefined) throw new Pkcs11exError("unknown_signer", "not pinned");
  if (Date.now() > certificate.notAfter.getTime()) {
    throw new Pkcs11exError("cert_expired", "expired");
  }
  const key = createPublicKey({
    key: Buffer.from(certificate.spkiDer),
    format: "der",
    type: "spki",
  });
  const ok = alg === "EdDSA"
    ? nodeVerify(null, parsed.signedInput, key, parsed.signature)
    : nodeVerify("sha256", parsed.signedInput, {
      key,
      ...(alg === "PS256" && { padding: 6, saltLength: 32 }),
      ...(alg === "ES256" && { dsaEncoding: "ieee-p1363" as const }),
    }, parsed.signature);
  if (!ok) throw new Pkcs11exError("signature_invalid", "bad signature");
  if (opts.expectedSubject !== undefined && opts.expectedSubject !== subjectId) {
    throw new Pkcs11exError("unexpected_subject", "unexpected subject");
  }
  return Promise.resolve({ subjectId, certificate });
};
