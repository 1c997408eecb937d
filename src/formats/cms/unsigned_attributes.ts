/**
 * Attach an unsigned attribute to the one SignerInfo of a CMS SignedData after signing —
 * the signature-time-stamp-token of PAdES/CAdES B-T. The signed part is untouched:
 * certificates stay byte for byte, and the signed attributes and signature are re-emitted
 * from the decoded values and checked to be identical.
 *
 * @module
 */
import { Attribute } from "@peculiar/asn1-cms";
import { Pkcs11exError } from "../../core/errors.ts";
import { attributeSetDer } from "./signed_attributes.ts";
import { decodeSignedData, encodeSignedData } from "./_decode.ts";
import { OID_ATTR_TIME_STAMP_TOKEN } from "./oids.ts";

/**
 * Returns `contentInfoDer` with one more unsigned attribute on its SignerInfo.
 *
 * @param contentInfoDer A CMS ContentInfo DER with one SignerInfo.
 * @param oid The attribute type, e.g. id-aa-signatureTimeStampToken.
 * @param valueDer The single attribute value as DER (e.g. a TimeStampToken ContentInfo).
 * @returns The new ContentInfo DER.
 * @throws {Pkcs11exError} `cms_codec`, `not_signed_data`, `no_signer_info`,
 *   `multiple_signer_info_unsupported_in_v1`.
 *
 * @example
 * ```ts ignore
 * const withTst = addUnsignedAttribute(cms, OID_ATTR_TIME_STAMP_TOKEN, token.tokenDer);
 * ```
 */
export function addUnsignedAttribute(
  contentInfoDer: Uint8Array,
  oid: string,
  valueDer: Uint8Array,
): Uint8Array {
  if (!(valueDer instanceof Uint8Array)) {
    throw new TypeError("Cannot add the unsigned attribute: the value must be a Uint8Array");
  }
  const sd = decodeSignedData(contentInfoDer);
  if (sd.signerInfos.length !== 1) {
    throw new Pkcs11exError(
      sd.signerInfos.length === 0 ? "no_signer_info" : "multiple_signer_info_unsupported_in_v1",
      "Cannot add the unsigned attribute: the CMS must have exactly one SignerInfo",
    );
  }
  const si = sd.signerInfos[0];
  const attribute = new Attribute({ attrType: oid, attrValues: [valueDer.slice().buffer] });
  si.unsignedAttrs = [...(si.unsignedAttrs ?? []), attribute];
  const out = encodeSignedData(sd);
  const before = si.signedAttrs ? attributeSetDer(si.signedAttrs) : undefined;
  const again = decodeSignedData(out).signerInfos[0];
  const after = again.signedAttrs ? attributeSetDer(again.signedAttrs) : undefined;
  if (String(before) !== String(after)) {
    throw new Pkcs11exError("cms_codec", "Cannot add the unsigned attribute without re-encoding", {
      detail: { type: "SignedAttributes" },
    });
  }
  return out;
}

/** Attaches an RFC 3161 TimeStampToken as id-aa-signatureTimeStampToken. */
export function addTimeStampToken(contentInfoDer: Uint8Array, tokenDer: Uint8Array): Uint8Array {
  return addUnsignedAttribute(contentInfoDer, OID_ATTR_TIME_STAMP_TOKEN, tokenDer);
}
