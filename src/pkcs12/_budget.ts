/**
 * A cap on key-derivation work per bundle, so a hostile iteration count cannot hang the
 * caller: every derivation charges its iterations before it runs.
 *
 * @module
 */
import { Pkcs11exError } from "../core/errors.ts";

/**
 * The work one load may spend, in PBKDF2 iterations (≈ 1–2 s at worst on a small machine).
 * Real bundles make two or three derivations of 2,000–600,000 iterations.
 */
export const MAX_KDF_WORK = 2_000_000;

/**
 * What one PKCS#12-KDF iteration costs in PBKDF2 iterations: it runs one hash call per
 * iteration from JavaScript, several times slower than node's native PBKDF2 loop.
 */
export const PKCS12_KDF_WEIGHT = 8;

/** The remaining key-derivation work of one load. */
export class WorkBudget {
  #left = MAX_KDF_WORK;

  /**
   * Charges `iterations` iterations times `weight` and returns the iteration count.
   *
   * @throws {Pkcs11exError} `p12_invalid` when the count is not a positive integer or the
   *   budget is spent.
   */
  charge(iterations: unknown, weight = 1): number {
    const n = typeof iterations === "string" ? Number(iterations) : iterations;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
      throw new Pkcs11exError(
        "p12_invalid",
        "Cannot read the PKCS#12 bundle: bad iteration count",
        {
          detail: { kind: "bad_iteration_count" },
        },
      );
    }
    if (n * weight > this.#left) {
      throw new Pkcs11exError(
        "p12_invalid",
        `Cannot read the PKCS#12 bundle: its key derivations exceed the work limit`,
        { detail: { kind: "kdf_work_limit" } },
      );
    }
    this.#left -= n * weight;
    return n;
  }
}
