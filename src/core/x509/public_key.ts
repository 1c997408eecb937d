/**
 * What kind of public key a SubjectPublicKeyInfo carries: RSA (with its modulus size),
 * EC (with its named curve) or Ed25519, and the raw RSA numbers for verifiers that need them.
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { readChildren, readOid, readUnsignedInteger, readWhole } from "./der.ts";

/** The key types pkcs11ex knows; `other` is a key no built-in algorithm can use (DSA, Ed448…). */
export type KeyType = "rsa" | "ec" | "ed25519" | "other";

/** The named curves pkcs11ex recognizes. */
export type NamedCurve = "P-256" | "P-384" | "P-521";

/** The key facts of a SubjectPublicKeyInfo. */
export interface PublicKeyInfo {
  /** The key type. */
  keyType: KeyType;
  /** The SPKI algorithm OID. */
  algorithmOid: string;
  /** RSA modulus bits, EC field bits, 256 for Ed25519; 0 when unknown. */
  keySize: number;
  /** The named curve of an EC key. */
  curve?: NamedCurve | string;
}

const RSA_OIDS = new Set(["1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10"]);
const EC_OID = "1.2.840.10045.2.1";
const ED25519_OID = "1.3.101.112";
const CURVES: Record<string, [NamedCurve, number]> = {
  "1.2.840.10045.3.1.7": ["P-256", 256],
  "1.3.132.0.34": ["P-384", 384],
  "1.3.132.0.35": ["P-521", 521],
};

/** The bits of an unsigned big-endian magnitude without leading zero bytes. */
export function magnitudeBits(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]));
}

/** The modulus and public exponent of an RSA key, from its SPKI DER. */
export function rsaPublicNumbers(spkiDer: Uint8Array): { n: Uint8Array; e: Uint8Array } {
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const key = new Uint8Array(spki.subjectPublicKey);
  const seq = readWhole(key, 0x30);
  const [n, e] = readChildren(key, seq);
  if (!n || !e) throw new RangeError("Cannot read the RSA public key: missing modulus or exponent");
  return { n: readUnsignedInteger(key, n), e: readUnsignedInteger(key, e) };
}

/** Reads the key type, size and curve of a SubjectPublicKeyInfo (DER); throws when malformed. */
export function describePublicKey(spkiDer: Uint8Array): PublicKeyInfo {
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const oid = spki.algorithm.algorithm;
  if (RSA_OIDS.has(oid)) {
    return {
      keyType: "rsa",
      algorithmOid: oid,
      keySize: magnitudeBits(rsaPublicNumbers(spkiDer).n),
    };
  }
  if (oid === EC_OID) {
    const params = spki.algorithm.parameters;
    const paramBytes = params ? new Uint8Array(params) : undefined;
    const curveOid = paramBytes ? readOid(paramBytes, readWhole(paramBytes, 0x06)) : "";
    const known = CURVES[curveOid];
    return {
      keyType: "ec",
      algorithmOid: oid,
      keySize: known ? known[1] : 0,
      curve: known ? known[0] : curveOid,
    };
  }
  if (oid === ED25519_OID) return { keyType: "ed25519", algorithmOid: oid, keySize: 256 };
  return { keyType: "other", algorithmOid: oid, keySize: 0 };
}
