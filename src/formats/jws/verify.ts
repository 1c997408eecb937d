/**
 * Verifies a detached JWS through the shared verification pipeline (api §2.3.1): the JWS
 * parser runs step 1, the pipeline steps 2–8, then the caller's critical-header validators.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import type { AlgorithmRegistry } from "../../core/algorithms/types.ts";
import type { VerifyBackend } from "../../core/verify_bytes.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { type PipelineInput, type PipelineResult, verifyPipeline } from "../../policy/pipeline.ts";
import type { Policy } from "../../policy/types.ts";
import { parseDetachedJws, type PayloadMode } from "./parse.ts";

/**
 * A verification pipeline: {@linkcode verifyPipeline} (the default) or a wrapper around it,
 * e.g. one that adds telemetry. It must run steps 2–8 of api §2.3.1.
 */
export type VerifyPipeline = (input: PipelineInput) => Promise<PipelineResult>;

/** What a critical-header validator learns about the verified signer. */
export interface CriticalHeaderContext {
  /** The subject the policy resolved. */
  readonly subjectId: string;
  /** The signer's certificate. */
  readonly certificate: X509Certificate;
}

/**
 * Checks the value of one extra critical header (RFC 7515 §4.1.11); throws to refuse. A
 * thrown {@linkcode Pkcs11exError} propagates as is; anything else becomes `policy_failed`.
 */
export type CriticalHeaderValidator = (
  value: unknown,
  header: Readonly<Record<string, unknown>>,
  context: CriticalHeaderContext,
) => void | Promise<void>;

/** Options of {@linkcode verifyJws}. */
export interface VerifyJwsOptions {
  /** The trust policy (api §2.3): `PinnedRegistry`, `CASignedAllowlist` or your own. */
  policy: Policy;
  /** The effective algorithm allowlist. */
  allowedAlgs: readonly string[];
  /** The algorithm registry (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
  /** The subject the policy must resolve, if set. */
  expectedSubject?: string;
  /** Forwarded to the policy's `resolve` and `validate`. */
  policyOpts?: Readonly<Record<string, unknown>>;
  /** Allowed clock skew for certificate validity, in ms (default 30 000). */
  maxClockSkew?: number;
  /** The time certificates are judged at (default now). */
  validationTime?: Date;
  /** Where the signature math runs (default: WebCrypto). */
  backend?: VerifyBackend;
  /** Payload modes accepted (default `["b64false"]`; Open Banking ≥ 3.1.4 uses `b64true`). */
  payloadModes?: readonly PayloadMode[];
  /** Extra `crit` names this verifier understands, each with its validator. */
  criticalHeaders?: Readonly<Record<string, CriticalHeaderValidator>>;
  /**
   * Names among `criticalHeaders` every JWS must carry and list in `crit` (e.g. the three Open
   * Banking claims); a JWS without one is refused with `missing_required_header`.
   */
  requiredCritical?: readonly string[];
  /** The verification pipeline (default {@linkcode verifyPipeline}). */
  pipeline?: VerifyPipeline;
}

/** The result of a successful {@linkcode verifyJws}. */
export interface VerifyJwsResult {
  /** The subject the policy resolved. */
  readonly subjectId: string;
  /** The protected header. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The verified algorithm. */
  readonly alg: string;
  /** The signer's certificate. */
  readonly certificate: X509Certificate;
  /** The rest of the chain the policy resolved (leaf excluded). */
  readonly chain: readonly X509Certificate[];
}

const ENCODER = new TextEncoder();

/**
 * Verifies a detached compact JWS over `payload`; rejects with a {@linkcode Pkcs11exError}
 * carrying the spec's reason (`malformed_jws`, `missing_required_header`,
 * `b64_crit_violation`, `disallowed_alg`, `unsupported_alg`, the policy's reasons,
 * `signature_invalid`, `unexpected_subject`).
 *
 * @example
 * ```ts ignore
 * const { subjectId } = await verifyJws(jws, body, { policy, allowedAlgs: ["PS256"] });
 * ```
 *
 * @param jws The detached compact JWS, `"<protected>..<signature>"`.
 * @param payload The detached payload (a string is taken as its UTF-8 bytes).
 * @param opts Policy, allowlist and acceptance options.
 * @returns The subject, header, algorithm and certificate.
 */
export async function verifyJws(
  jws: string,
  payload: Uint8Array | string,
  opts: VerifyJwsOptions,
): Promise<VerifyJwsResult> {
  const validators = opts.criticalHeaders ?? {};
  for (const name of opts.requiredCritical ?? []) {
    if (typeof validators[name] !== "function") {
      throw new RangeError(
        `requiredCritical names "${name}", which has no criticalHeaders validator`,
      );
    }
  }
  const parsed = parseDetachedJws(jws, {
    payload: typeof payload === "string" ? ENCODER.encode(payload) : payload,
    payloadModes: opts.payloadModes,
    criticalHeaders: Object.keys(validators),
    requiredCritical: opts.requiredCritical,
  });
  const pipeline = opts.pipeline ?? verifyPipeline;
  const { subjectId, certificate, chain } = await pipeline({
    parsed,
    policy: opts.policy,
    allowedAlgs: opts.allowedAlgs,
    algorithms: opts.algorithms,
    backend: opts.backend,
    opts: {
      expectedSubject: opts.expectedSubject,
      policyOpts: opts.policyOpts,
      maxClockSkew: opts.maxClockSkew,
      validationTime: opts.validationTime,
    },
  });
  const crit = Array.isArray(parsed.header.crit) ? parsed.header.crit as string[] : [];
  for (const name of crit) {
    if (name === "b64") continue;
    try {
      await validators[name](parsed.header[name], parsed.header, { subjectId, certificate });
    } catch (cause) {
      if (cause instanceof Pkcs11exError) throw cause;
      throw new Pkcs11exError(
        "policy_failed",
        `Cannot verify the JWS: the critical header "${name}" was refused`,
        { detail: { header: name }, cause },
      );
    }
  }
  return { subjectId, header: parsed.header, alg: parsed.alg, certificate, chain };
}
