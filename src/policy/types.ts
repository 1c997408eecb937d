/**
 * The trust policy interface (api §2.3) and the JOSE-style signer hint every format
 * hands to it.
 *
 * @module
 */
import type { X509Certificate } from "../core/x509.ts";

/**
 * The untrusted identity hint of a signature (api §2.3.2), JOSE-shaped: JWS passes its
 * header fields, CMS and XML formats synthesize `x5c` from their embedded chain.
 */
export interface SignerHint {
  /** base64 (not base64url) DER certificates, leaf first. */
  x5c?: readonly string[];
  /** base64url SHA-256 of the leaf certificate DER. */
  "x5t#S256"?: string;
  /** An opaque key id; only meaningful through the verifier's registry. */
  kid?: string;
}

/** What a policy receives besides the hint or the certificate. */
export interface PolicyContext {
  /** The time validity and revocation are judged at. */
  validationTime: Date;
  /** Allowed clock skew, ms. */
  maxClockSkew: number;
  /** Caller options passed through to the policy. */
  policyOpts: Readonly<Record<string, unknown>>;
}

/** A resolved, still untrusted signer: the candidate certificate and chain. */
export interface Resolved {
  /** The leaf certificate. */
  certificate: X509Certificate;
  /** The rest of the chain the sender supplied (or the registry holds), leaf excluded. */
  chain: X509Certificate[];
}

/**
 * A trust policy. `resolve` MUST throw `unknown_signer` when no allowlist entry matches:
 * the pipeline then aborts before any signature math.
 */
export interface Policy {
  /** Finds the candidate certificate for a hint (step 3 of api §2.3.1). */
  resolve(hint: SignerHint, ctx: PolicyContext): Promise<Resolved> | Resolved;
  /** Authorizes the signer and names it (step 6); throws a trust reason to refuse. */
  validate(
    certificate: X509Certificate,
    chain: X509Certificate[],
    ctx: PolicyContext,
  ): Promise<string> | string;
  /** Refuses configurations that are unsafe in `environment` (throws ConfigError). */
  checkEnvironment?(environment: string | undefined): void;
}

/** Deployment switch shared by the policies that refuse to run in production. */
export type Environment = "production" | "development" | "test";
