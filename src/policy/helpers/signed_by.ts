/**
 * Checks an issuer's signature over signed X.509 data (a TBSCertificate, a TBSCertList, an
 * OCSP ResponseData), mapping the signature algorithm OID to a registry algorithm and
 * running it through the same verifier as `verifyBytes`.
 *
 * @module
 */
import {
  ecdsaAlgorithm,
  ed25519Algorithm,
  rsaPkcs1Algorithm,
  rsaPssAlgorithm,
  type ShaName,
} from "../../core/algorithms/families.ts";
import type { Algorithm } from "../../core/algorithms/types.ts";
import { createAlgorithmRegistry } from "../../core/algorithms/registry.ts";
import { verifyBytes } from "../../core/verify_bytes.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { readChildren, readOid, readTlv, readWhole } from "../../core/x509/der.ts";

const RSA_PKCS1: Record<string, ShaName> = {
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};
const ECDSA: Record<string, ShaName> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};
const HASH_OIDS: Record<string, ShaName> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
const CURVE_BYTES: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** An issuer's signature algorithm: OID and raw DER parameters. */
export interface SignatureAlgorithmId {
  /** The OID. */
  readonly oid: string;
  /** The DER parameters, if any. */
  readonly params?: Uint8Array;
}

function pssAlgorithm(params: Uint8Array | undefined): Algorithm | undefined {
  if (!params) return undefined;
  const seq = readWhole(params, 0x30);
  let hash: ShaName | undefined = undefined;
  let salt = 20;
  for (const field of readChildren(params, seq)) {
    const inner = readTlv(params, field.contentStart, field.end);
    if (field.tag === 0xa0) {
      hash = HASH_OIDS[readOid(params, readChildren(params, inner)[0])];
    } else if (field.tag === 0xa2) {
      salt = Number(
        params.subarray(inner.contentStart, inner.end).reduce((a, b) => a * 256 + b, 0),
      );
    }
  }
  return hash ? rsaPssAlgorithm(`PSS-${hash}`, hash, salt) : undefined;
}

/** The algorithm for a signature OID made with `issuer`'s key, or `undefined` if unsupported. */
export function signatureAlgorithmFor(
  sigAlg: SignatureAlgorithmId,
  issuer: X509Certificate,
): Algorithm | undefined {
  if (RSA_PKCS1[sigAlg.oid]) return rsaPkcs1Algorithm(sigAlg.oid, RSA_PKCS1[sigAlg.oid]);
  if (sigAlg.oid === "1.2.840.113549.1.1.10") return pssAlgorithm(sigAlg.params);
  if (ECDSA[sigAlg.oid] && issuer.curve && CURVE_BYTES[issuer.curve]) {
    return ecdsaAlgorithm(sigAlg.oid, ECDSA[sigAlg.oid], issuer.curve, CURVE_BYTES[issuer.curve]);
  }
  if (sigAlg.oid === "1.3.101.112") return ed25519Algorithm(sigAlg.oid);
  return undefined;
}

/**
 * Whether `signature` over `signed` was made by `issuer`'s key with `sigAlg`. Unsupported
 * algorithms (SHA-1, DSA, …) and keys the algorithm refuses are `false`.
 */
export async function isSignedBy(
  signed: Uint8Array,
  sigAlg: SignatureAlgorithmId,
  signature: Uint8Array,
  issuer: X509Certificate,
): Promise<boolean> {
  let algorithm: Algorithm | undefined;
  try {
    algorithm = signatureAlgorithmFor(sigAlg, issuer);
  } catch {
    return false;
  }
  if (!algorithm) return false;
  try {
    await verifyBytes(signed, signature, issuer, {
      alg: algorithm.name,
      algorithms: createAlgorithmRegistry({ [algorithm.name]: algorithm }),
      encodingContext: "der",
    });
    return true;
  } catch {
    return false;
  }
}
