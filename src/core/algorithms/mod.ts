/**
 * Signature algorithms (api §2.1): the {@linkcode Algorithm} interface, the built-ins
 * PS256 / RS256 / ES256 / EdDSA, factories for custom ones, and the registry.
 *
 * @module
 */
export type {
  Algorithm,
  AlgorithmRegistry,
  HashName,
  MechanismSpec,
  SignPlan,
  VerifySpec,
} from "./types.ts";
export {
  algCompatible,
  BUILTIN_ALGORITHMS,
  createAlgorithmRegistry,
  type KeyFacts,
} from "./registry.ts";
export {
  ecdsaAlgorithm,
  ed25519Algorithm,
  rsaPkcs1Algorithm,
  rsaPssAlgorithm,
  type ShaName,
} from "./families.ts";
export { ecdsaDerToRaw, ecdsaRawToDer } from "./ecdsa_encoding.ts";
export { digestInfo } from "./digest_info.ts";
