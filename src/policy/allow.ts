/**
 * Allow (api §2.3, tests only): accepts any signer whose x5c leaf it is given. Refuses to
 * start in production.
 *
 * @module
 */
import { ConfigError } from "../core/errors.ts";
import type { X509Certificate } from "../core/x509.ts";
import { hintCertificates, unknownSigner } from "./_hint.ts";
import type { Environment, Policy, Resolved, SignerHint } from "./types.ts";

/** Options of {@linkcode Allow}. */
export interface AllowOptions {
  /** The deployment; `production` is refused. */
  environment?: Environment;
  /** The subject id to report (default: the leaf's subject DN). */
  subjectId?: string;
}

/** A policy that trusts everyone. For tests only. */
export class Allow implements Policy {
  readonly #subjectId?: string;

  /**
   * Makes the accept-all test policy.
   *
   * @throws {ConfigError} in production.
   */
  constructor(opts: AllowOptions = {}) {
    this.checkEnvironment(opts.environment);
    this.#subjectId = opts.subjectId;
  }

  /**
   * Refuses production.
   *
   * @throws {ConfigError} when `environment` is `production`.
   */
  checkEnvironment(environment: string | undefined): void {
    if (environment === "production") {
      throw new ConfigError(
        "trustPolicy",
        "Allow accepts any signer and refuses to run in production",
      );
    }
  }

  /** The x5c leaf, or `unknown_signer` without one. */
  resolve(hint: SignerHint): Resolved {
    const [leaf, ...chain] = hintCertificates(hint ?? {});
    if (!leaf) unknownSigner("Cannot resolve the signer: Allow needs an x5c certificate");
    return { certificate: leaf, chain };
  }

  /** The configured subject id, or the leaf's subject DN. */
  validate(certificate: X509Certificate): string {
    return this.#subjectId ?? certificate.subject;
  }
}
