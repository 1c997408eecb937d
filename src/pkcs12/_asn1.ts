/**
 * ASN.1 schemas @peculiar packages do not ship (CMS EncryptedData, PKCS#5 PBES2 / PBKDF2 /
 * PBMAC1 parameters, PKCS#12 PBE parameters), declared by calling the @peculiar/asn1-schema
 * decorators as functions, and one parse helper that turns any decoding failure into
 * `p12_invalid`.
 *
 * @module
 */
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from "@peculiar/asn1-schema";
import { EncryptedContentInfo } from "@peculiar/asn1-cms";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { invalid } from "./_errors.ts";

/** `EncryptedData ::= SEQUENCE { version, encryptedContentInfo, unprotectedAttrs [1] OPT }`. */
export class EncryptedData {
  /** The CMS version. */
  version = 0;
  /** The encrypted SafeContents and how it was encrypted. */
  encryptedContentInfo: EncryptedContentInfo = new EncryptedContentInfo();
}
AsnProp({ type: AsnPropTypes.Integer })(EncryptedData.prototype, "version");
AsnProp({ type: EncryptedContentInfo })(EncryptedData.prototype, "encryptedContentInfo");

/** `PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }` (RFC 8018). */
export class Pbes2Params {
  /** The KDF (PBKDF2). */
  keyDerivationFunc: AlgorithmIdentifier = new AlgorithmIdentifier();
  /** The cipher and its IV. */
  encryptionScheme: AlgorithmIdentifier = new AlgorithmIdentifier();
}
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, "keyDerivationFunc");
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, "encryptionScheme");

/** `PBMAC1-params ::= SEQUENCE { keyDerivationFunc, messageAuthScheme }` (RFC 8018). */
export class Pbmac1Params {
  /** The KDF (PBKDF2). */
  keyDerivationFunc: AlgorithmIdentifier = new AlgorithmIdentifier();
  /** The HMAC. */
  messageAuthScheme: AlgorithmIdentifier = new AlgorithmIdentifier();
}
AsnProp({ type: AlgorithmIdentifier })(Pbmac1Params.prototype, "keyDerivationFunc");
AsnProp({ type: AlgorithmIdentifier })(Pbmac1Params.prototype, "messageAuthScheme");

/** `PBKDF2-params` with a specified salt (the `otherSource` choice fails to parse). */
export class Pbkdf2Params {
  /** The salt. */
  salt: OctetString = new OctetString();
  /** The iteration count (a decimal string when it needs four bytes or more). */
  iterationCount: number | string = 1;
  /** The derived key length in bytes, if stated. */
  keyLength?: number | string;
  /** The PRF; HMAC-SHA-1 when absent. */
  prf?: AlgorithmIdentifier;
}
AsnProp({ type: OctetString })(Pbkdf2Params.prototype, "salt");
AsnProp({ type: AsnPropTypes.Integer })(Pbkdf2Params.prototype, "iterationCount");
AsnProp({ type: AsnPropTypes.Integer, optional: true })(Pbkdf2Params.prototype, "keyLength");
AsnProp({ type: AlgorithmIdentifier, optional: true })(Pbkdf2Params.prototype, "prf");

/** `pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }`. */
export class Pkcs12PbeParams {
  /** The salt. */
  salt: OctetString = new OctetString();
  /** The iteration count. */
  iterations: number | string = 1;
}
AsnProp({ type: OctetString })(Pkcs12PbeParams.prototype, "salt");
AsnProp({ type: AsnPropTypes.Integer })(Pkcs12PbeParams.prototype, "iterations");

/**
 * Parses `der` with a schema class.
 *
 * @throws {Pkcs11exError} `p12_invalid` naming `what` when the bytes do not fit the schema.
 */
export function parseAs<T>(
  der: ArrayBuffer | Uint8Array | undefined | null,
  schema: new () => T,
  what: string,
): T {
  if (!der) throw invalid(`${what} is missing`, "missing_field");
  try {
    return AsnConvert.parse(der, schema);
  } catch (err) {
    throw invalid(`${what} is malformed`, "malformed_asn1", err);
  }
}

/** The bytes of an ArrayBuffer-backed value as a Uint8Array view. */
export function bytesOf(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
