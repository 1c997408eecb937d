/**
 * The numbers inside a decrypted PKCS#8 private key: the RSA CRT components, or the EC
 * curve, private value and public point. Every byte array is a copy the caller zeroes.
 *
 * @module
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Buffer } from "node:buffer";
import {
  readChildren,
  readOid,
  readUnsignedInteger,
  readWhole,
  type Tlv,
  tlvBytes,
} from "../core/x509/der.ts";
import { bytesOf } from "./_asn1.ts";
import { invalid } from "./_errors.ts";

const RSA = "1.2.840.113549.1.1.1";
const EC = "1.2.840.10045.2.1";

/** The RSA private key components, big-endian unsigned without leading zeros. */
export interface RsaParts {
  modulus: Uint8Array;
  publicExponent: Uint8Array;
  privateExponent: Uint8Array;
  prime1: Uint8Array;
  prime2: Uint8Array;
  exponent1: Uint8Array;
  exponent2: Uint8Array;
  coefficient: Uint8Array;
}

/** The EC private key parts. */
export interface EcParts {
  /** The named curve OID, dotted. */
  namedCurveOid: string;
  /** The curve as DER `ECParameters` (the namedCurve OBJECT IDENTIFIER). */
  ecParamsDer: Uint8Array;
  /** The private scalar, big-endian unsigned without leading zeros. */
  privateValue: Uint8Array;
  /** The public point as `04 ‖ X ‖ Y`. */
  publicPointUncompressed: Uint8Array;
}

/** A private key split into its parts. */
export type KeyParts =
  | { keyType: "rsa"; rsa: RsaParts }
  | { keyType: "ec"; ec: EcParts }
  | { keyType: "other"; algorithmOid: string };

/** Zeroes every byte array of `parts`. */
export function disposeKeyParts(parts: KeyParts): void {
  if (parts.keyType === "rsa") { for (const v of Object.values(parts.rsa)) v.fill(0); }
  if (parts.keyType === "ec") {
    parts.ec.privateValue.fill(0);
    parts.ec.publicPointUncompressed.fill(0);
  }
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.slice(i);
}

function rsaParts(key: Uint8Array): RsaParts {
  const fields = readChildren(key, readWhole(key, 0x30));
  if (fields.length < 9) throw new RangeError("RSAPrivateKey has too few fields");
  const n = (i: number): Uint8Array => readUnsignedInteger(key, fields[i]).slice();
  return {
    modulus: n(1),
    publicExponent: n(2),
    privateExponent: n(3),
    prime1: n(4),
    prime2: n(5),
    exponent1: n(6),
    exponent2: n(7),
    coefficient: n(8),
  };
}

/** The public point derived by node:crypto (for keys that do not carry it, or compress it). */
function derivedPoint(pkcs8: Uint8Array): Uint8Array {
  const jwk = createPublicKey(
    createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }),
  )
    .export({ format: "jwk" });
  const x = Buffer.from(jwk.x ?? "", "base64url");
  const y = Buffer.from(jwk.y ?? "", "base64url");
  const out = new Uint8Array(1 + x.length + y.length);
  out[0] = 4;
  out.set(x, 1);
  out.set(y, 1 + x.length);
  return out;
}

function ecParts(key: Uint8Array, algParams: Uint8Array | undefined, pkcs8: Uint8Array): EcParts {
  const fields = readChildren(key, readWhole(key, 0x30));
  if (fields.length < 2 || fields[1].tag !== 0x04) throw new RangeError("bad ECPrivateKey");
  const tagged = (tag: number): Tlv | undefined => fields.slice(2).find((f) => f.tag === tag);
  const inner = tagged(0xa0);
  const paramsDer = algParams && algParams[0] === 0x06
    ? algParams
    : inner
    ? key.subarray(inner.contentStart, inner.end)
    : undefined;
  if (!paramsDer || paramsDer[0] !== 0x06) throw new RangeError("EC key without a named curve");
  const oidTlv = readWhole(paramsDer, 0x06);
  const pub = tagged(0xa1);
  let point: Uint8Array | undefined;
  if (pub) {
    const bits = readChildren(key, pub)[0];
    if (bits?.tag !== 0x03) throw new RangeError("bad EC public key");
    point = key.slice(bits.contentStart + 1, bits.end);
  }
  return {
    namedCurveOid: readOid(paramsDer, oidTlv),
    ecParamsDer: tlvBytes(paramsDer, oidTlv).slice(),
    privateValue: stripZeros(key.subarray(fields[1].contentStart, fields[1].end)),
    publicPointUncompressed: point?.[0] === 4 ? point : derivedPoint(pkcs8),
  };
}

/**
 * Splits a PKCS#8 PrivateKeyInfo into its parts.
 *
 * @throws {Pkcs11exError} `p12_invalid` when the key structure is malformed.
 */
export function splitPrivateKey(pkcs8: Uint8Array): KeyParts {
  let info: PrivateKeyInfo | undefined;
  try {
    info = AsnConvert.parse(pkcs8, PrivateKeyInfo);
    const oid = info.privateKeyAlgorithm.algorithm;
    const key = bytesOf(info.privateKey);
    if (oid === RSA) return { keyType: "rsa", rsa: rsaParts(key) };
    if (oid === EC) {
      const params = info.privateKeyAlgorithm.parameters;
      return { keyType: "ec", ec: ecParts(key, params ? bytesOf(params) : undefined, pkcs8) };
    }
    return { keyType: "other", algorithmOid: oid };
  } catch (err) {
    throw invalid("the private key is malformed", "bad_private_key", err);
  } finally {
    if (info) bytesOf(info.privateKey).fill(0);
  }
}
