/**
 * `p11.pdf`: PAdES signing with token keys and verification through the instance's trust
 * policy (api §3.3). The PDF stack is imported on first use, so a JWS-only service never
 * loads it.
 *
 * @module
 */
import type { Pkcs11ex, SignerRef } from "../core/pkcs11ex.ts";
import type { Policy } from "../policy/types.ts";
import type { SignPdfOptions } from "../formats/pdf/sign.ts";
import type { PdfTrustResult, VerifyPdfWithPolicyOptions } from "../formats/pdf/verify_policy.ts";
import type { PdfVerification } from "../formats/pdf/verify.ts";

/** Options of `p11.pdf.sign`. */
export interface PdfSignOptions extends SignPdfOptions {
  /** The signing key (default: key `signing` on the default slot). */
  signer?: SignerRef;
  /** The algorithm (default: the key's pinned alg, else the first compatible allowed alg). */
  alg?: string;
}

/** Options of `p11.pdf.verify` (the instance supplies policy, allowlist and algorithms). */
export type PdfVerifyOptions =
  & Omit<VerifyPdfWithPolicyOptions, "policy" | "allowedAlgs" | "algorithms">
  & {
    /** A per-call trust policy (default: `config.trustPolicy`). */
    trustPolicy?: Policy;
  };

/** The `p11.pdf` API. */
export interface PdfApi {
  /** Signs a PDF by incremental update (PAdES B-B; B-T with `tsaUrl`). */
  sign(pdf: Uint8Array, opts?: PdfSignOptions): Promise<Uint8Array>;
  /** Verifies every signature of a PDF; rejects with the first refusal. */
  verify(pdf: Uint8Array, opts?: PdfVerifyOptions): Promise<PdfVerification<PdfTrustResult>>;
}

/** Builds `p11.pdf` over an instance. */
export function createPdfApi(p11: Pkcs11ex): PdfApi {
  return {
    async sign(pdf, opts = {}) {
      const { signPdf } = await import("../formats/pdf/sign.ts");
      const { signer: ref, alg, ...rest } = opts;
      const signer = await p11.signer(ref, { alg, format: "pdf" });
      return await signPdf(pdf, signer, rest);
    },
    verify(pdf, opts = {}) {
      return p11.telemetry.verify({ format: "pdf", encodingContext: "der" }, async (span) => {
        const { verifyPdfWithPolicy } = await import("../formats/pdf/verify_policy.ts");
        const { trustPolicy, ...rest } = opts;
        const result = await verifyPdfWithPolicy(pdf, {
          policy: trustPolicy ?? p11.config.trustPolicy,
          allowedAlgs: p11.config.allowedAlgs,
          algorithms: p11.algorithms,
          maxClockSkew: p11.config.maxClockSkew,
          ...rest,
        });
        const subjects = result.signatures.flatMap((s) => (s.ok ? [s.result.subjectId] : []));
        span.metadata.subjectId = subjects.join(",");
        span.metadata.signatureCount = result.signatures.length;
        return result;
      });
    },
  };
}
