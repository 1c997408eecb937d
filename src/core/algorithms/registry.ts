/**
 * The algorithm registry: the built-ins PS256, RS256, ES256 and EdDSA, extended by
 * `config.algorithms` (api §2.1 "Adding a custom algorithm", §1.5 rule 2), and the
 * algorithm/key compatibility check of api §2.3.3.
 *
 * @module
 */
import type { KeyType } from "../x509.ts";
import {
  ecdsaAlgorithm,
  ed25519Algorithm,
  rsaPkcs1Algorithm,
  rsaPssAlgorithm,
} from "./families.ts";
import type { Algorithm, AlgorithmRegistry } from "./types.ts";

/** The built-in algorithms (api §1.9). */
export const BUILTIN_ALGORITHMS: Readonly<Record<string, Algorithm>> = Object.freeze({
  PS256: rsaPssAlgorithm("PS256", "sha256", 32),
  RS256: rsaPkcs1Algorithm("RS256", "sha256"),
  ES256: ecdsaAlgorithm("ES256", "sha256", "P-256", 32),
  EdDSA: ed25519Algorithm("EdDSA"),
});

function checkAlgorithm(key: string, alg: Algorithm): void {
  if (key === "none" || alg?.name === "none") {
    throw new RangeError('Cannot register an algorithm named "none"');
  }
  if (
    typeof alg !== "object" || alg === null || alg.name !== key ||
    !Array.isArray(alg.keyTypes) || typeof alg.signPlan !== "function" ||
    typeof alg.encodeSignature !== "function" || typeof alg.decodeSignature !== "function" ||
    typeof alg.verify?.family !== "string"
  ) {
    throw new TypeError(`Cannot register algorithm "${key}": not an Algorithm named "${key}"`);
  }
}

/**
 * Makes a registry of the built-ins plus `extra` (which may replace a built-in).
 *
 * @param extra algorithms keyed by their JOSE name, e.g. `{ PS512: rsaPssAlgorithm("PS512", "sha512", 64) }`.
 * @throws {TypeError} when an entry is not an Algorithm named as its key.
 * @throws {RangeError} when an entry is named `none`.
 *
 * @example
 * ```ts ignore
 * const registry = createAlgorithmRegistry({ PS512: rsaPssAlgorithm("PS512", "sha512", 64) });
 * registry.get("PS512")?.hash; // "sha512"
 * ```
 */
export function createAlgorithmRegistry(
  extra: Readonly<Record<string, Algorithm>> = {},
): AlgorithmRegistry {
  for (const [key, alg] of Object.entries(extra)) checkAlgorithm(key, alg);
  const table = new Map<string, Algorithm>(Object.entries({ ...BUILTIN_ALGORITHMS, ...extra }));
  return Object.freeze({
    get: (name: string): Algorithm | undefined => table.get(name),
    names: (): string[] => [...table.keys()],
  });
}

/** The key facts compatibility needs; an `X509Certificate` has them. */
export interface KeyFacts {
  /** The key type. */
  readonly keyType: KeyType;
  /** RSA modulus bits / curve bits. */
  readonly keySize: number;
  /** The EC named curve. */
  readonly curve?: string;
}

/**
 * Whether `alg` can be made by the key of `cert` (api §2.3.3): the key type must be one of
 * the algorithm's, an RSA modulus at least `minRsaBits`, an EC key on the algorithm's curve.
 */
export function algCompatible(alg: Algorithm, cert: KeyFacts): boolean {
  if (!alg.keyTypes.includes(cert.keyType)) return false;
  if (cert.keyType === "rsa") return cert.keySize >= (alg.minRsaBits ?? 2048);
  if (cert.keyType === "ec") return cert.curve === alg.verify.namedCurve;
  return true;
}
