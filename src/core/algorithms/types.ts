/**
 * The {@linkcode Algorithm} interface (api §2.1): what a JOSE algorithm name means for
 * hashing, for a PKCS#11 token (as plain data the FFI layer translates) and for the
 * wire encoding of its signature.
 *
 * @module
 */
import type { EncodingContext } from "../signer.ts";
import type { KeyType } from "../x509.ts";

/** The hash an algorithm signs with; `none` for algorithms that hash internally (EdDSA). */
export type HashName = "sha256" | "sha384" | "sha512" | "none";

/** A PKCS#11 mechanism as plain data; the FFI layer builds the `CK_MECHANISM` from it. */
export type { MechanismSpec } from "../../ffi/mechanism.ts";
import type { MechanismSpec } from "../../ffi/mechanism.ts";

/**
 * How a token signs: the mechanism, and what bytes go into `C_Sign` — the message itself,
 * its digest, or the DER `DigestInfo` around its digest (see `digestInfo`).
 */
export interface SignPlan {
  /** The mechanism to initialize signing with. */
  mechanism: MechanismSpec;
  /** What to feed `C_Sign`. */
  input: "message" | "digest" | "digest_info";
}

/** How software verifies the signature (the verify backend reads this, not the name). */
export interface VerifySpec {
  /** The signature scheme family. */
  family: "rsa_pkcs1" | "rsa_pss" | "ecdsa" | "eddsa";
  /** PSS salt length in bytes. */
  saltLength?: number;
  /** ECDSA / EdDSA curve (`P-256`, `Ed25519`). */
  namedCurve?: string;
}

/** One signature algorithm, as registered in an {@linkcode AlgorithmRegistry}. */
export interface Algorithm {
  /** The JOSE name (`PS256`). */
  readonly name: string;
  /** Key types that can make this signature. */
  readonly keyTypes: readonly KeyType[];
  /** The hash the signature is computed over. */
  readonly hash: HashName;
  /** Smallest RSA modulus accepted, in bits. */
  readonly minRsaBits?: number;
  /** How software verifies it. */
  readonly verify: VerifySpec;
  /**
   * How a PKCS#11 token signs it. Return the same (frozen) plan object on every call: the token
   * layer recognizes a mechanism by identity, and a fresh object per call costs each signature a
   * new encoding of the mechanism.
   * @param precomputedDigest the caller already hashed the data.
   * @throws {RangeError} when the algorithm cannot sign a precomputed digest (EdDSA).
   */
  signPlan(precomputedDigest: boolean): SignPlan;
  /**
   * Turns what the token returned into the signature of `context`.
   * @throws {Pkcs11exError} `signature_invalid` when `raw` has the wrong shape.
   */
  encodeSignature(raw: Uint8Array, context: EncodingContext): Uint8Array;
  /**
   * Turns a wire signature of `context` back into the token's raw form.
   * @throws {Pkcs11exError} `signature_invalid` when `signature` is malformed.
   */
  decodeSignature(signature: Uint8Array, context: EncodingContext): Uint8Array;
}

/** A set of algorithms by name. */
export interface AlgorithmRegistry {
  /** The algorithm registered under `name`, if any. */
  get(name: string): Algorithm | undefined;
  /** Every registered name. */
  names(): string[];
}
