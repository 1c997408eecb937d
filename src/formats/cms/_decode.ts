/**
 * The outer decode shared by the parser and the unsigned-attribute writer: ContentInfo →
 * SignedData, each failure typed (`cms_codec` with the ASN.1 type, `not_signed_data`).
 *
 * @module
 */
import { ContentInfo } from "@peculiar/asn1-cms";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Pkcs11exError } from "../../core/errors.ts";
import { OID_SIGNED_DATA } from "./oids.ts";
import { RawCertSignedData } from "./_schemas.ts";

/** Inputs larger than this are refused before decoding (no real CMS comes close). */
export const MAX_CMS_BYTES = 16 * 1024 * 1024;

/** Parses `bytes` as `type`, turning every decoder failure into `cms_codec` with `{ type }`. */
export function decodeAs<T>(
  bytes: Uint8Array | ArrayBuffer,
  target: new () => T,
  type: string,
): T {
  try {
    return AsnConvert.parse(bytes, target);
  } catch (cause) {
    throw new Pkcs11exError("cms_codec", `Cannot decode the CMS ${type}`, {
      cause,
      detail: { type },
    });
  }
}

/** Decodes a ContentInfo DER that must carry a SignedData. */
export function decodeSignedData(der: Uint8Array): RawCertSignedData {
  if (!(der instanceof Uint8Array)) {
    throw new TypeError("Cannot parse the CMS: expected a Uint8Array");
  }
  if (der.length > MAX_CMS_BYTES) {
    throw new Pkcs11exError(
      "cms_codec",
      `Cannot decode the CMS: ${der.length} bytes is too large`,
      {
        detail: { type: "ContentInfo" },
      },
    );
  }
  const ci = decodeAs(der, ContentInfo, "ContentInfo");
  if (ci.contentType !== OID_SIGNED_DATA) {
    throw new Pkcs11exError(
      "not_signed_data",
      `Cannot parse the CMS: the content type ${ci.contentType} is not id-signedData`,
      { detail: { oid: ci.contentType } },
    );
  }
  return decodeAs(ci.content, RawCertSignedData, "SignedData");
}

/** Encodes a SignedData back into a ContentInfo DER. */
export function encodeSignedData(sd: RawCertSignedData): Uint8Array {
  const ci = new ContentInfo({ contentType: OID_SIGNED_DATA, content: AsnConvert.serialize(sd) });
  return new Uint8Array(AsnConvert.serialize(ci));
}
