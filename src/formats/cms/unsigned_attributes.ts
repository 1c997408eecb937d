/**
 * Attach an unsigned attribute to the one SignerInfo of a CMS SignedData after signing —
 * the signature-time-stamp-token of PAdES/CAdES B-T. The signed part is untouched:
 * certificates stay byte for byte, and the signed attributes and signature are re-emitted
 * from the decoded values and checked to be identical to the received bytes.
 *
 * @module
 */
import { Attribute } from "@peculiar/asn1-cms";
import { Pkcs11exError } from "../../core/errors.ts";
import { readTlv } from "../../core/x509/der.ts";
import { decodeSignedData, encodeSignedData, signedAttrsDer } from "./_decode.ts";
import { OID_ATTR_TIME_STAMP_TOKEN } from "./oids.ts";

/** `cms_codec` `{ type: "AttributeValue" }`: the value to add is not one DER element. */
function valueNotDer(why: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("cms_codec", `Cannot add the unsigned attribute: its value ${why}`, {
    cause,
    detail: { type: "AttributeValue" },
  });
}

/** Refuses bytes that are not exactly one DER element. */
function requireOneElement(valueDer: Uint8Array): void {
  let end: number;
  try {
    end = readTlv(valueDer, 0).end;
  } catch (cause) {
    throw valueNotDer("is not DER", cause);
  }
  if (end !== valueDer.length) throw valueNotDer("has bytes after one DER element");
}

/**
 * Returns `contentInfoDer` with one more unsigned attribute on its SignerInfo.
 *
 * @param contentInfoDer A CMS ContentInfo DER with one SignerInfo.
 * @param oid The attribute type, e.g. id-aa-signatureTimeStampToken.
 * @param valueDer The single attribute value: one DER element (definite lengths, low tag
 *   number) spanning all its bytes, e.g. a TimeStampToken ContentInfo.
 * @returns The new ContentInfo DER.
 * @throws {Pkcs11exError} `cms_codec` (with `detail.type`: `AttributeValue` when `valueDer` is
 *   not one DER element, else the CMS part that does not decode), `not_signed_data`,
 *   `no_signer_info`, `multiple_signer_info_unsupported_in_v1`.
 * @throws {TypeError} when `valueDer` is not a Uint8Array.
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
  requireOneElement(valueDer);
  const sd = decodeSignedData(contentInfoDer);
  if (sd.signerInfos.length !== 1) {
    throw new Pkcs11exError(
      sd.signerInfos.length === 0 ? "no_signer_info" : "multiple_signer_info_unsupported_in_v1",
      "Cannot add the unsigned attribute: the CMS must have exactly one SignerInfo",
    );
  }
  const si = sd.signerInfos[0];
  const before = signedAttrsDer(si);
  const attribute = new Attribute({ attrType: oid, attrValues: [valueDer.slice().buffer] });
  si.unsignedAttrs = [...(si.unsignedAttrs ?? []), attribute];
  let out: Uint8Array;
  try {
    out = encodeSignedData(sd);
  } catch (cause) {
    throw valueNotDer("is not DER", cause);
  }
  const after = signedAttrsDer(decodeSignedData(out).signerInfos[0]);
  if (String(before) !== String(after)) {
    throw new Pkcs11exError("cms_codec", "Cannot add the unsigned attribute without re-encoding", {
      detail: { type: "SignedAttributes" },
    });
  }
  return out;
}

/**
 * Attaches an RFC 3161 TimeStampToken as id-aa-signatureTimeStampToken; a token that is not
 * one DER element is `cms_codec` `{ type: "AttributeValue" }` (see {@linkcode addUnsignedAttribute}).
 */
export function addTimeStampToken(contentInfoDer: Uint8Array, tokenDer: Uint8Array): Uint8Array {
  return addUnsignedAttribute(contentInfoDer, OID_ATTR_TIME_STAMP_TOKEN, tokenDer);
}
