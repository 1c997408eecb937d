/**
 * `C_CreateObject` templates for an imported key pair and its certificates: the private key
 * sensitive and never extractable, the matching public key, and X.509 certificate objects
 * that share the key's `CKA_ID`. The key pair may sign and verify only (no decrypt, wrap or
 * derive). Byte values are the key parts themselves (not copies), so
 * disposing the key zeroes what the templates pointed at.
 *
 * @module
 */
import type { X509Certificate } from "../x509.ts";
import { encodeTlv, readChildren, readWhole, tlvBytes } from "../x509/der.ts";
import type { AttributeTemplate } from "../../ffi/attributes.ts";
import { CKC, CKK, CKO } from "../../ffi/constants.ts";
import type { PrivateKeyForImport } from "../../pkcs12/_private_key.ts";

/** The label and id every object of one import carries. */
export interface ObjectNames {
  /** `CKA_LABEL` of the key pair. */
  readonly label: string;
  /** `CKA_LABEL` of the certificate. */
  readonly certLabel: string;
  /** `CKA_ID` of the key pair and the certificate. */
  readonly id: Uint8Array;
}

/** The private and public key templates of one import. */
export interface KeyTemplates {
  /** The `CKO_PRIVATE_KEY` template (holds key material: zero it with the key). */
  readonly privateKey: AttributeTemplate;
  /** The `CKO_PUBLIC_KEY` template. */
  readonly publicKey: AttributeTemplate;
}

/** The key pair templates for `key`, whose certificate is `leaf`. */
export function keyTemplates(
  key: PrivateKeyForImport,
  leaf: X509Certificate,
  names: ObjectNames,
): KeyTemplates {
  const common = { CKA_TOKEN: true, CKA_LABEL: names.label, CKA_ID: names.id };
  const privateCommon: AttributeTemplate = {
    ...common,
    CKA_CLASS: CKO.CKO_PRIVATE_KEY,
    CKA_PRIVATE: true,
    CKA_SENSITIVE: true,
    CKA_EXTRACTABLE: false,
    CKA_SIGN: true,
    CKA_DECRYPT: false,
    CKA_UNWRAP: false,
    CKA_DERIVE: false,
    CKA_SUBJECT: leaf.subjectDer,
  };
  const publicCommon: AttributeTemplate = {
    ...common,
    CKA_CLASS: CKO.CKO_PUBLIC_KEY,
    CKA_PRIVATE: false,
    CKA_VERIFY: true,
    CKA_ENCRYPT: false,
    CKA_WRAP: false,
    CKA_SUBJECT: leaf.subjectDer,
  };
  if (key.keyType === "rsa" && key.rsa !== undefined) {
    const rsa = key.rsa;
    const pub = { CKA_MODULUS: rsa.modulus, CKA_PUBLIC_EXPONENT: rsa.publicExponent };
    return {
      privateKey: {
        ...privateCommon,
        CKA_KEY_TYPE: CKK.CKK_RSA,
        ...pub,
        CKA_PRIVATE_EXPONENT: rsa.privateExponent,
        CKA_PRIME_1: rsa.prime1,
        CKA_PRIME_2: rsa.prime2,
        CKA_EXPONENT_1: rsa.exponent1,
        CKA_EXPONENT_2: rsa.exponent2,
        CKA_COEFFICIENT: rsa.coefficient,
      },
      publicKey: { ...publicCommon, CKA_KEY_TYPE: CKK.CKK_RSA, ...pub },
    };
  }
  if (key.keyType === "ec" && key.ec !== undefined) {
    const ec = key.ec;
    return {
      privateKey: {
        ...privateCommon,
        CKA_KEY_TYPE: CKK.CKK_EC,
        CKA_EC_PARAMS: ec.ecParamsDer,
        CKA_VALUE: ec.privateValue,
      },
      publicKey: {
        ...publicCommon,
        CKA_KEY_TYPE: CKK.CKK_EC,
        CKA_EC_PARAMS: ec.ecParamsDer,
        CKA_EC_POINT: encodeTlv(0x04, ec.publicPointUncompressed),
      },
    };
  }
  throw new TypeError(`Cannot build key templates for a ${key.keyType} key without its parts`);
}

/**
 * A `CKO_CERTIFICATE` / `CKC_X_509` template. `authority` marks a chain certificate
 * (`CKA_CERTIFICATE_CATEGORY` 2).
 */
export function certificateTemplate(
  cert: X509Certificate,
  label: string,
  id: Uint8Array,
  authority = false,
): AttributeTemplate {
  return {
    CKA_CLASS: CKO.CKO_CERTIFICATE,
    CKA_CERTIFICATE_TYPE: CKC.CKC_X_509,
    CKA_CERTIFICATE_CATEGORY: authority ? 2 : 1,
    CKA_TOKEN: true,
    CKA_PRIVATE: false,
    CKA_LABEL: label,
    CKA_ID: id,
    CKA_SUBJECT: cert.subjectDer,
    CKA_ISSUER: cert.issuerDer,
    CKA_SERIAL_NUMBER: serialNumberDer(cert),
    CKA_VALUE: cert.der,
  };
}

/** The serial number's DER INTEGER as the certificate holds it (what `CKA_SERIAL_NUMBER` takes). */
function serialNumberDer(cert: X509Certificate): Uint8Array {
  const tbs = cert.tbsDer;
  const fields = readChildren(tbs, readWhole(tbs, 0x30));
  return tlvBytes(tbs, fields[fields[0]?.tag === 0xa0 ? 1 : 0]).slice();
}
