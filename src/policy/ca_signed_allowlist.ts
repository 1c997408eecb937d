/**
 * CASignedAllowlist (api §2.3): the chain must validate to the configured CA bundle AND
 * the leaf must be on an explicit allowlist; both gates must pass. Revocation through
 * `crlFetcher` / `ocspCheck` callbacks, no built-in fetchers, no AIA chasing.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { ConfigError, Pkcs11exError } from "../core/errors.ts";
import type { X509Certificate } from "../core/x509.ts";
import { type CertificateInput, toCertificates } from "./_certificate_input.ts";
import { type AllowEntry, type Allowlist, compileAllowlist } from "./_allow_entries.ts";
import { assertThumbprint, hintCertificates, hintThumbprintHex, unknownSigner } from "./_hint.ts";
import { checkRevocation, type CrlFetcher, type OcspCheck } from "./_revocation.ts";
import { basicConstraintsOk, ekuIncludes } from "./helpers/constraints.ts";
import { pathValidate } from "./helpers/path_validate.ts";
import type { Environment, Policy, PolicyContext, Resolved, SignerHint } from "./types.ts";

export type { AllowEntry } from "./_allow_entries.ts";
export type { CrlFetcher, OcspCheck } from "./_revocation.ts";

/** Options of {@linkcode CASignedAllowlist}. */
export interface CASignedAllowlistOptions {
  /** Trust anchors: PEM text, DER bytes, a file path, or a list of certificates. */
  caBundle: string | Uint8Array | readonly CertificateInput[];
  /** Who may sign (SPKI entries are checked first). */
  allow: readonly AllowEntry[];
  /** Leaf EKU OIDs, one of which is required when the leaf has an EKU. */
  eku?: readonly string[];
  /** Longest path, leaf and anchor included (default 8). */
  maxDepth?: number;
  /** OCSP status callback. */
  ocspCheck?: OcspCheck;
  /** CRL callback. */
  crlFetcher?: CrlFetcher;
  /** What `unknown` revocation status means (default `abort`). */
  revocationUnknownPolicy?: "abort" | "allow";
  /** The deployment; `production` requires a revocation callback. */
  environment?: Environment;
}

function loadBundle(bundle: CASignedAllowlistOptions["caBundle"]): X509Certificate[] {
  let certs: X509Certificate[];
  try {
    if (typeof bundle === "string" && !bundle.includes("-----BEGIN")) {
      const bytes = new Uint8Array(readFileSync(bundle));
      const text = new TextDecoder().decode(bytes);
      certs = toCertificates([text.includes("-----BEGIN") ? text : bytes]);
    } else {
      certs = toCertificates(Array.isArray(bundle) ? bundle : [bundle as string | Uint8Array]);
    }
  } catch (err) {
    throw new ConfigError("trustPolicy.caBundle", `cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (certs.length === 0) throw new ConfigError("trustPolicy.caBundle", "holds no certificate");
  return certs;
}

/** The chain-to-CA plus allowlist trust policy. */
export class CASignedAllowlist implements Policy {
  readonly #anchors: X509Certificate[];
  readonly #allow: Allowlist;
  readonly #opts: CASignedAllowlistOptions;

  /**
   * Makes the policy from a CA bundle and an allowlist.
   *
   * @throws {ConfigError} on an unreadable bundle, a bad entry, or production without revocation.
   */
  constructor(opts: CASignedAllowlistOptions) {
    if (
      opts.revocationUnknownPolicy !== undefined &&
      !["abort", "allow"].includes(opts.revocationUnknownPolicy)
    ) {
      throw new ConfigError("trustPolicy.revocationUnknownPolicy", 'must be "abort" or "allow"');
    }
    this.#opts = { ...opts };
    this.#anchors = loadBundle(opts.caBundle);
    this.#allow = compileAllowlist(opts.allow);
    this.checkEnvironment(opts.environment);
  }

  /**
   * Refuses production without a revocation source.
   *
   * @throws {ConfigError} in production when neither crlFetcher nor ocspCheck is set.
   */
  checkEnvironment(environment: string | undefined): void {
    if (environment === "production" && !this.#opts.crlFetcher && !this.#opts.ocspCheck) {
      throw new ConfigError(
        "trustPolicy",
        "CASignedAllowlist needs crlFetcher or ocspCheck in production",
      );
    }
  }

  /** The x5c leaf and chain, if the leaf is on the allowlist; else `unknown_signer`. */
  resolve(hint: SignerHint): Resolved {
    const [leaf, ...chain] = hintCertificates(hint ?? {});
    if (!leaf) unknownSigner("Cannot resolve the signer: CASignedAllowlist needs the x5c chain");
    assertThumbprint(leaf, hintThumbprintHex(hint), "x5c and x5t#S256");
    if (this.#allow.match(leaf) === undefined) {
      unknownSigner("Cannot resolve the signer: not on the allowlist");
    }
    return { certificate: leaf, chain };
  }

  /** Path validation, leaf constraints, revocation, then the allowlist's subject id. */
  async validate(
    certificate: X509Certificate,
    chain: X509Certificate[],
    ctx: PolicyContext,
  ): Promise<string> {
    const path = await pathValidate(certificate, chain, this.#anchors, {
      validationTime: ctx.validationTime,
      maxClockSkew: ctx.maxClockSkew,
      maxDepth: this.#opts.maxDepth,
    });
    if (!basicConstraintsOk(certificate, "leaf")) {
      throw new Pkcs11exError("chain_invalid", "Cannot trust the signer: the leaf is a CA", {
        detail: { kind: "leaf_is_ca" },
      });
    }
    if (!ekuIncludes(certificate, this.#opts.eku ?? [])) {
      throw new Pkcs11exError(
        "chain_invalid",
        "Cannot trust the signer: extendedKeyUsage does not allow this use",
        {
          detail: { kind: "eku", want: [...(this.#opts.eku ?? [])] },
        },
      );
    }
    await checkRevocation(path, {
      ocspCheck: this.#opts.ocspCheck,
      crlFetcher: this.#opts.crlFetcher,
      revocationUnknownPolicy: this.#opts.revocationUnknownPolicy ?? "abort",
    }, ctx);
    const subjectId = this.#allow.match(certificate);
    if (subjectId === undefined) {
      throw new Pkcs11exError("untrusted_signer", "Cannot trust the signer: not on the allowlist");
    }
    return subjectId;
  }
}
