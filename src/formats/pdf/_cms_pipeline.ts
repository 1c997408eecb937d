/**
 * Runs one CMS SignerInfo (a PAdES signature, a signature time-stamp token or a document
 * time-stamp) through the shared verification pipeline. The pipeline's step 7 (the math)
 * is delegated to `verify`, which the caller fills with the message digest and the CMS
 * signature math: both run only after the allowlist gate (steps 2–6) has let the signer
 * through, and the CMS math checks what the pipeline's byte-level verifier cannot (the
 * signed-attribute bindings, PSS parameters as found, signatures without signed attributes).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type PipelineOptions,
  type PipelineResult,
  verifyPipeline,
} from "../../policy/pipeline.ts";
import type { Policy, SignerHint } from "../../policy/types.ts";
import type { AlgorithmRegistry } from "../../core/algorithms/types.ts";
import type { VerifyBackend } from "../../core/verify_bytes.ts";
import type { ParsedSignedData } from "../cms/mod.ts";

/** The JOSE-style signer hint of a CMS: its certificates as `x5c`, the signer's first. */
export function cmsSignerHint(cms: ParsedSignedData): { x5c: string[] } {
  return {
    x5c: [cms.leaf.der, ...cms.certificates.filter((_, i) => i !== cms.leafIndex)]
      .map((d) => Buffer.from(d).toString("base64")),
  };
}

/** The verifier settings one CMS is judged with. */
export interface CmsPipelineSettings {
  /** The trust policy. */
  policy: Policy;
  /** The algorithm allowlist (CMS algorithms by their JOSE names: RS256, PS256, ES256…). */
  allowedAlgs: readonly string[];
  /** The algorithm registry (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
  /** Per-call pipeline options; `validationTime` is set by the caller. */
  opts: PipelineOptions;
}

/**
 * Gate → `verify` (digest + math) → expectedSubject, through `verifyPipeline`. A failure
 * thrown by `verify` is rethrown as is (not wrapped as the pipeline's `signature_invalid`).
 */
export async function runCmsPipeline(
  cms: ParsedSignedData,
  settings: CmsPipelineSettings,
  verify: () => void,
): Promise<PipelineResult> {
  let failure: unknown;
  const backend: VerifyBackend = {
    verify(): Promise<boolean> {
      try {
        verify();
        return Promise.resolve(true);
      } catch (err) {
        failure = err;
        return Promise.resolve(false);
      }
    },
  };
  const si = cms.signerInfo;
  const hint: SignerHint = cmsSignerHint(cms);
  try {
    return await verifyPipeline({
      parsed: {
        signedInput: si.signedAttrsDer ?? new Uint8Array(0),
        signature: si.signature,
        alg: si.signatureAlgorithm.alg,
        encodingContext: "der",
        signerHint: hint,
      },
      policy: settings.policy,
      allowedAlgs: settings.allowedAlgs,
      algorithms: settings.algorithms,
      opts: settings.opts,
      backend,
    });
  } catch (err) {
    throw failure ?? err;
  }
}
