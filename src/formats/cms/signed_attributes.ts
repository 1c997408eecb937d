/**
 * Signed attributes: encoded as a DER `SET OF Attribute` (sorted by encoding, as X.690
 * §11.6 requires — unsorted attributes are a known cause of "not intact" verdicts) and
 * read back with the one-value rule where the RFCs state it (api §4.1 `multi_value_attribute`).
 *
 * @module
 */
import { concatBytes } from "../../core/_bytes.ts";
import { Attribute } from "@peculiar/asn1-cms";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Pkcs11exError } from "../../core/errors.ts";
import { encodeTlv } from "../../core/x509/der.ts";
import {
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_CERTIFICATE,
  OID_ATTR_SIGNING_CERTIFICATE_V2,
  OID_ATTR_SIGNING_TIME,
} from "./oids.ts";

/** One attribute to encode: its type OID and its single value as DER. */
export interface AttributeInput {
  /** The attribute type OID. */
  oid: string;
  /** The DER of the one value. */
  valueDer: Uint8Array;
}

/** Compares two encodings as X.690 §11.6 orders the elements of a SET OF. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The attributes as @peculiar objects in DER order, and their `SET OF` DER (tag 0x31). */
export function encodeAttributeSet(
  inputs: readonly AttributeInput[],
): { attributes: Attribute[]; setDer: Uint8Array } {
  const encoded = inputs.map((a) => {
    const attribute = new Attribute({ attrType: a.oid, attrValues: [a.valueDer.slice().buffer] });
    return { attribute, der: new Uint8Array(AsnConvert.serialize(attribute)) };
  }).sort((x, y) => compareDer(x.der, y.der));
  return {
    attributes: encoded.map((e) => e.attribute),
    setDer: encodeTlv(0x31, concatBytes(encoded.map((e) => e.der))),
  };
}

/**
 * The signed attributes that must appear at most once and carry exactly one value:
 * content-type, message-digest and signing-time (RFC 5652 §11.1–§11.3), ESS
 * signing-certificate (RFC 2634 §1.3.4, §5.4) and signing-certificate-v2 (RFC 5035). Other
 * attributes (vendor ones included) may carry several values or appear several times;
 * countersignature is multi-valued by definition (RFC 5652 §11.4).
 */
export const SINGLE_VALUED_ATTRIBUTES: ReadonlySet<string> = new Set([
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_TIME,
  OID_ATTR_SIGNING_CERTIFICATE,
  OID_ATTR_SIGNING_CERTIFICATE_V2,
]);

/**
 * Maps each single-valued attribute type ({@linkcode SINGLE_VALUED_ATTRIBUTES}) to its one
 * value; other types are not read. Zero or several values, or the same single-valued type
 * twice, is `multi_value_attribute` with `{ oid }`.
 */
export function singleValues(attributes: readonly Attribute[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const a of attributes) {
    if (!SINGLE_VALUED_ATTRIBUTES.has(a.attrType)) continue;
    if (a.attrValues.length !== 1 || out.has(a.attrType)) {
      throw new Pkcs11exError(
        "multi_value_attribute",
        `Cannot read the CMS attribute ${a.attrType}: it must appear once with exactly one value`,
        { detail: { oid: a.attrType } },
      );
    }
    out.set(a.attrType, new Uint8Array(a.attrValues[0]));
  }
  return out;
}

/** The value of a required attribute, or `missing_attribute` with `{ oid }`. */
export function requireAttribute(values: Map<string, Uint8Array>, oid: string): Uint8Array {
  const value = values.get(oid);
  if (!value) {
    throw new Pkcs11exError(
      "missing_attribute",
      `Cannot verify the CMS signature: the signed attribute ${oid} is missing`,
      { detail: { oid } },
    );
  }
  return value;
}
