/**
 * Algorithm factories by signature family. The built-ins are instances of these, and
 * custom algorithms (PS512, ES384, …) are made with them too.
 *
 * @module
 */
import { ecdsaCheckRaw, ecdsaDerToRaw, ecdsaRawToDer } from "./ecdsa_encoding.ts";
import type { Algorithm, SignPlan } from "./types.ts";

/** Hashes usable with RSA and ECDSA families. */
export type ShaName = "sha256" | "sha384" | "sha512";

const CKM_HASH: Record<ShaName, string> = {
  sha256: "SHA256",
  sha384: "SHA384",
  sha512: "SHA512",
};

const identity = (sig: Uint8Array): Uint8Array => sig;

/**
 * A sign plan made once and frozen, mechanism parameters included: `signPlan` hands out the
 * same object on every call, so the layers below recognize the mechanism by identity instead of
 * re-encoding it for every signature.
 */
function fixedPlan(mechanism: SignPlan["mechanism"], input: SignPlan["input"]): SignPlan {
  if (mechanism.pss !== undefined) Object.freeze(mechanism.pss);
  return Object.freeze({ mechanism: Object.freeze(mechanism), input });
}

/** An RSASSA-PKCS1-v1_5 algorithm (RS256 is `rsaPkcs1Algorithm("RS256", "sha256")`). */
export function rsaPkcs1Algorithm(name: string, hash: ShaName): Algorithm {
  const h = CKM_HASH[hash];
  const overDigestInfo = fixedPlan({ mechanism: "CKM_RSA_PKCS" }, "digest_info");
  const overMessage = fixedPlan({ mechanism: `CKM_${h}_RSA_PKCS` }, "message");
  return Object.freeze({
    name,
    keyTypes: ["rsa"] as const,
    hash,
    minRsaBits: 2048,
    verify: { family: "rsa_pkcs1" } as const,
    signPlan: (precomputed: boolean): SignPlan => precomputed ? overDigestInfo : overMessage,
    encodeSignature: identity,
    decodeSignature: identity,
  });
}

/** An RSASSA-PSS algorithm with MGF1 over the same hash (PS256: sha256, salt 32). */
export function rsaPssAlgorithm(name: string, hash: ShaName, saltLength: number): Algorithm {
  const h = CKM_HASH[hash];
  const pss = { hashAlg: `CKM_${h}`, mgf: `CKG_MGF1_${h}`, sLen: saltLength };
  const overDigest = fixedPlan({ mechanism: "CKM_RSA_PKCS_PSS", pss: { ...pss } }, "digest");
  const overMessage = fixedPlan({ mechanism: `CKM_${h}_RSA_PKCS_PSS`, pss: { ...pss } }, "message");
  return Object.freeze({
    name,
    keyTypes: ["rsa"] as const,
    hash,
    minRsaBits: 2048,
    verify: { family: "rsa_pss", saltLength } as const,
    signPlan: (precomputed: boolean): SignPlan => precomputed ? overDigest : overMessage,
    encodeSignature: identity,
    decodeSignature: identity,
  });
}

/**
 * An ECDSA algorithm. Tokens sign a digest computed in software with `CKM_ECDSA`
 * (SoftHSM2 has no `CKM_ECDSA_SHA256`) and return raw r‖s; the `der` context wraps it.
 */
export function ecdsaAlgorithm(
  name: string,
  hash: ShaName,
  namedCurve: string,
  coordinateBytes: number,
): Algorithm {
  const overDigest = fixedPlan({ mechanism: "CKM_ECDSA" }, "digest");
  return Object.freeze({
    name,
    keyTypes: ["ec"] as const,
    hash,
    verify: { family: "ecdsa", namedCurve } as const,
    signPlan: (): SignPlan => overDigest,
    encodeSignature: (raw: Uint8Array, context: "jose" | "der"): Uint8Array =>
      context === "der" ? ecdsaRawToDer(raw, coordinateBytes) : ecdsaCheckRaw(raw, coordinateBytes),
    decodeSignature: (sig: Uint8Array, context: "jose" | "der"): Uint8Array =>
      context === "der" ? ecdsaDerToRaw(sig, coordinateBytes) : ecdsaCheckRaw(sig, coordinateBytes),
  });
}

/** Ed25519 (JOSE `EdDSA`): `CKM_EDDSA` over the message; a precomputed digest is refused. */
export function ed25519Algorithm(name: string): Algorithm {
  const overMessage = fixedPlan({ mechanism: "CKM_EDDSA" }, "message");
  return Object.freeze({
    name,
    keyTypes: ["ed25519"] as const,
    hash: "none" as const,
    verify: { family: "eddsa", namedCurve: "Ed25519" } as const,
    signPlan: (precomputed: boolean): SignPlan => {
      if (precomputed) {
        throw new RangeError(
          `Cannot sign a precomputed digest with ${name}: EdDSA hashes internally`,
        );
      }
      return overMessage;
    },
    encodeSignature: identity,
    decodeSignature: identity,
  });
}
