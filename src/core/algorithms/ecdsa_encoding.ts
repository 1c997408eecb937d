/**
 * ECDSA signature encodings: raw fixed-width r‖s (PKCS#11 `CKM_ECDSA`, JOSE) and the DER
 * `SEQUENCE { INTEGER r, INTEGER s }` of X.509, CMS and XML-DSig.
 *
 * @module
 */
import { Pkcs11exError } from "../errors.ts";
import {
  DerError,
  encodeTlv,
  encodeUnsignedInteger,
  readChildren,
  readUnsignedInteger,
  readWhole,
} from "../x509/der.ts";

function invalid(message: string, kind: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("signature_invalid", message, { detail: { kind }, cause });
}

/** Wraps raw r‖s (each `size` bytes) as a minimal DER SEQUENCE of two INTEGERs. */
export function ecdsaRawToDer(raw: Uint8Array, size: number): Uint8Array {
  if (raw.length !== 2 * size) {
    throw invalid(
      `Cannot encode the ECDSA signature: expected ${2 * size} bytes of r‖s, got ${raw.length}`,
      "bad_raw_length",
    );
  }
  const r = encodeUnsignedInteger(raw.subarray(0, size));
  const s = encodeUnsignedInteger(raw.subarray(size));
  const content = new Uint8Array(r.length + s.length);
  content.set(r);
  content.set(s, r.length);
  return encodeTlv(0x30, content);
}

/** Unwraps a DER ECDSA signature into raw r‖s of `size` bytes each; rejects malformed DER. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  try {
    const seq = readWhole(der, 0x30);
    const parts = readChildren(der, seq);
    if (parts.length !== 2) throw new DerError("expected two INTEGERs");
    const out = new Uint8Array(2 * size);
    parts.forEach((tlv, i) => {
      const v = readUnsignedInteger(der, tlv);
      if (v.length > size || (v.length === 1 && v[0] === 0)) {
        throw new DerError("INTEGER out of range");
      }
      out.set(v, (i + 1) * size - v.length);
    });
    return out;
  } catch (err) {
    throw invalid("Cannot decode the ECDSA signature: malformed DER", "malformed_der", err);
  }
}

/** Checks that a JOSE ECDSA signature has the fixed r‖s width. */
export function ecdsaCheckRaw(raw: Uint8Array, size: number): Uint8Array {
  if (raw.length !== 2 * size) {
    throw invalid(
      `Cannot decode the ECDSA signature: expected ${2 * size} bytes of r‖s, got ${raw.length}`,
      "bad_raw_length",
    );
  }
  return raw;
}
