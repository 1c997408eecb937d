/**
 * The verification pipeline of api §2.3.1, shared by every format. Steps 2 (alg gate),
 * 4 (validity of every cert), 5 (alg/key compatibility), 7 (signature math) and 8
 * (expectedSubject) are the library's and cannot be skipped by a policy; steps 3 (resolve)
 * and 6 (validate) are the policy's. An allowlist miss in step 3 aborts before any math.
 *
 * @module
 */
import { assertUsableKey } from "../core/x509/weak_keys.ts";
import { algCompatible, createAlgorithmRegistry } from "../core/algorithms/registry.ts";
import type { AlgorithmRegistry } from "../core/algorithms/types.ts";
import { Pkcs11exError } from "../core/errors.ts";
import type { Parsed } from "../core/format.ts";
import { type VerifyBackend, verifyBytes } from "../core/verify_bytes.ts";
import type { X509Certificate } from "../core/x509.ts";
import { assertValidity, resolveValidityOptions } from "./helpers/validity.ts";
import type { Policy, PolicyContext, SignerHint } from "./types.ts";

const BUILTIN_REGISTRY = createAlgorithmRegistry();

/** Per-call options of the pipeline. */
export interface PipelineOptions {
  /** Allowed clock skew in ms (default 30 000; negative → RangeError). */
  maxClockSkew?: number;
  /** The time certificates are judged at (default now; a past time for archives). */
  validationTime?: Date;
  /** The subject id the policy must return, if set. */
  expectedSubject?: unknown;
  /** Passed verbatim to the policy. */
  policyOpts?: Readonly<Record<string, unknown>>;
}

/** The pipeline's input: a format's parse result and the verifier's settings. */
export interface PipelineInput {
  /** Step 1's output. */
  parsed: Parsed<SignerHint>;
  /** The trust policy. */
  policy: Policy;
  /** The effective algorithm allowlist. */
  allowedAlgs: readonly string[];
  /** The algorithm registry (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
  /** Per-call options. */
  opts?: PipelineOptions;
  /** The verify backend (default: the one of `verifyBytes`: libcrypto when available, else WebCrypto). */
  backend?: VerifyBackend;
}

/** What a successful verification yields. */
export interface PipelineResult {
  /** The policy's subject id. */
  subjectId: string;
  /** The signer's certificate. */
  certificate: X509Certificate;
  /** The rest of the chain the policy resolved. */
  chain: X509Certificate[];
  /** The verified algorithm. */
  alg: string;
}

async function policyStep<T>(step: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Pkcs11exError) throw err;
    throw new Pkcs11exError("policy_failed", `Cannot verify: the policy's ${step} failed`, {
      cause: err,
      detail: { step, reason: err instanceof Error ? err.message : String(err) },
    });
  }
}

/**
 * Runs steps 2–9 of api §2.3.1 over a parsed signature.
 *
 * @throws {Pkcs11exError} with the reasons of api §2.3.6.
 * @throws {RangeError} for a negative `maxClockSkew`.
 *
 * @example
 * ```ts ignore
 * const { subjectId } = await verifyPipeline({ parsed, policy, allowedAlgs: ["PS256"] });
 * ```
 */
export async function verifyPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { parsed, policy, allowedAlgs } = input;
  const opts = input.opts ?? {};
  const { validationTime, maxClockSkew } = resolveValidityOptions(opts);
  const ctx: PolicyContext = { validationTime, maxClockSkew, policyOpts: opts.policyOpts ?? {} };
  const algorithms = input.algorithms ?? BUILTIN_REGISTRY;

  // Step 2: the alg gate (none is refused whatever the allowlist says).
  const alg = parsed.alg;
  if (alg === "none" || !allowedAlgs.includes(alg)) {
    throw new Pkcs11exError("disallowed_alg", `Cannot verify: alg "${alg}" is not allowed`, {
      detail: { alg },
    });
  }
  const algorithm = algorithms.get(alg);
  if (!algorithm) {
    throw new Pkcs11exError("unsupported_alg", `Cannot verify: alg "${alg}" is not registered`, {
      detail: { alg },
    });
  }

  // Step 3: identity resolution (policy); an allowlist miss aborts here.
  const { certificate, chain } = await policyStep(
    "resolve",
    () => policy.resolve(parsed.signerHint ?? {}, ctx),
  );

  // Step 4: validity of every certificate.
  assertValidity([certificate, ...chain], { validationTime, maxClockSkew });

  // Step 5: algorithm / key compatibility.
  if (!algCompatible(algorithm, certificate)) {
    throw new Pkcs11exError(
      "incompatible_alg",
      `Cannot verify: ${alg} does not fit a ${certificate.keyType} key`,
      {
        detail: { alg, keyType: certificate.keyType },
      },
    );
  }

  assertUsableKey(certificate.spkiDer, certificate.keyType, certificate.spkiSha256Hex, alg);

  // Step 6: authorization (policy).
  const subjectId = await policyStep("validate", () => policy.validate(certificate, chain, ctx));

  // Step 7: the signature math.
  await verifyBytes(parsed.signedInput, parsed.signature, certificate, {
    alg,
    encodingContext: parsed.encodingContext,
    algorithms,
    backend: input.backend,
  });

  // Step 8: expectedSubject.
  if (opts.expectedSubject !== undefined && opts.expectedSubject !== subjectId) {
    throw new Pkcs11exError(
      "unexpected_subject",
      "Cannot accept the signature: unexpected subject",
      {
        detail: { got: subjectId, want: opts.expectedSubject },
      },
    );
  }
  return { subjectId, certificate, chain, alg };
}
