/**
 * The outer decode shared by the parser and the unsigned-attribute writer: ContentInfo →
 * SignedData, each failure typed (`cms_codec` with the ASN.1 type, `not_signed_data`).
 *
 * A DER SignedData is walked with the small DER reader, the certificates kept as raw slices
 * and only the small parts (algorithms, encapsulated content info, SignerInfos) given to the
 * schema decoder: the generic decoder parses every certificate down to its last element, twice
 * (ContentInfo, then SignedData), which made most of the parse time. Anything the walk does not
 * take (BER, unexpected shapes, hostile bytes) goes through the generic decoder, which
 * accepts or refuses it with its typed reason exactly as before.
 *
 * @module
 */
import { Attribute, ContentInfo, EncapsulatedContentInfo, SignerInfo } from "@peculiar/asn1-cms";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, type Name } from "@peculiar/asn1-x509";
import { concatBytes } from "../../core/_bytes.ts";
import { Pkcs11exError } from "../../core/errors.ts";
import { encodeTlv, readChildren, readOid, readWhole, type Tlv } from "../../core/x509/der.ts";
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

/** The elements of `parent`, each handed to `read` as its own bytes. */
function each<T>(der: Uint8Array, parent: Tlv, read: (bytes: Uint8Array) => T): T[] {
  return readChildren(der, parent).map((c) => read(der.subarray(c.start, c.end)));
}

/** A small INTEGER (the CMSVersion), or a throw when it is not one. */
function smallInteger(der: Uint8Array, tlv: Tlv): number {
  const n = tlv.end - tlv.contentStart;
  if (n < 1 || n > 2 || der[tlv.contentStart] & 0x80) throw new RangeError("CMSVersion");
  return der.subarray(tlv.contentStart, tlv.end).reduce((v, b) => v * 256 + b, 0);
}

/** One Attribute, its values kept raw. */
function rawAttribute(der: Uint8Array): Attribute {
  const [type, values, extra] = readChildren(der, readWhole(der, 0x30));
  if (type?.tag !== 0x06 || values?.tag !== 0x31 || extra) throw new RangeError("Attribute");
  return new Attribute({
    attrType: readOid(der, type),
    attrValues: each(der, values, (b) => b.slice().buffer),
  });
}

/** The bytes of a walked SignerInfo that a signature or a certificate match is checked over. */
interface ReceivedParts {
  /** The signed attributes, `[0] IMPLICIT` retagged as the `SET OF` the signature covers. */
  signedAttrs?: Uint8Array;
  /** The issuer Name of `issuerAndSerialNumber`. */
  issuer?: Uint8Array;
}
const receivedParts = new WeakMap<SignerInfo, ReceivedParts>();

/**
 * One SignerInfo. Its unsigned attributes (time-stamp tokens: whole CMS structures) are
 * walked and kept raw; the rest goes to the schema decoder. The received bytes of its signed
 * attributes and issuer are kept beside it (see {@linkcode signedAttrsDer}).
 */
function walkSignerInfo(der: Uint8Array): SignerInfo {
  const outer = readWhole(der, 0x30);
  const fields = readChildren(der, outer);
  const last = fields[fields.length - 1];
  const hasUnsigned = last?.tag === 0xa1;
  const si = hasUnsigned
    ? AsnConvert.parse(encodeTlv(0x30, der.subarray(outer.contentStart, last.start)), SignerInfo)
    : AsnConvert.parse(der, SignerInfo);
  if (hasUnsigned) si.unsignedAttrs = each(der, last, rawAttribute);
  const parts: ReceivedParts = {};
  const [, sid, , attrs] = fields;
  if (sid?.tag === 0x30) {
    const issuer = readChildren(der, sid)[0];
    if (issuer) parts.issuer = der.slice(issuer.start, issuer.end);
  }
  if (attrs?.tag === 0xa0) {
    parts.signedAttrs = der.slice(attrs.start, attrs.end);
    parts.signedAttrs[0] = 0x31;
  }
  receivedParts.set(si, parts);
  return si;
}

/** Re-encodes a decoded part (input the walk did not take), typed as `cms_codec` on failure. */
function reencode(value: unknown, type: string): Uint8Array {
  try {
    return new Uint8Array(AsnConvert.serialize(value));
  } catch (cause) {
    throw new Pkcs11exError("cms_codec", `Cannot encode the CMS ${type}`, {
      cause,
      detail: { type },
    });
  }
}

/**
 * The DER the signature of `si` covers when it has signed attributes (RFC 5652 §5.4): the
 * received `[0]` bytes with the `SET OF` tag, never a re-encoding of the decoded values, which
 * may differ from them or fail on a value the schema cannot encode. Input the walk did not
 * take (BER) is re-encoded as DER, which is what its signer signed.
 */
export function signedAttrsDer(si: SignerInfo): Uint8Array | undefined {
  if (!si.signedAttrs) return undefined;
  const received = receivedParts.get(si)?.signedAttrs;
  if (received) return received;
  return encodeTlv(
    0x31,
    concatBytes(si.signedAttrs.map((a) => reencode(a, "SignedAttributes"))),
  );
}

/** The DER of the issuer Name in the `issuerAndSerialNumber` of `si`, as received. */
export function sidIssuerDer(si: SignerInfo, issuer: Name): Uint8Array {
  return receivedParts.get(si)?.issuer ?? reencode(issuer, "IssuerAndSerialNumber");
}

/**
 * The fast path: a DER ContentInfo carrying a SignedData, walked field by field. Returns
 * undefined for anything else (the generic decoder then decides).
 */
function walkSignedData(der: Uint8Array): RawCertSignedData | undefined {
  try {
    const ci = readChildren(der, readWhole(der, 0x30));
    if (ci.length !== 2 || ci[0].tag !== 0x06 || ci[1].tag !== 0xa0) return undefined;
    if (readOid(der, ci[0]) !== OID_SIGNED_DATA) return undefined;
    const inner = readChildren(der, ci[1]);
    if (inner.length !== 1 || inner[0].tag !== 0x30) return undefined;
    const fields = readChildren(der, inner[0]);
    let i = 0;
    const next = (tag: number): Tlv | undefined => fields[i]?.tag === tag ? fields[i++] : undefined;
    const [version, digests, encap, certs, crls, signers] = [0x02, 0x31, 0x30, 0xa0, 0xa1, 0x31]
      .map(next);
    if (!version || !digests || !encap || !signers || i !== fields.length) return undefined;
    const raw = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;
    const sd = new RawCertSignedData();
    sd.version = smallInteger(der, version);
    sd.digestAlgorithms = each(der, digests, (b) => AsnConvert.parse(b, AlgorithmIdentifier));
    sd.encapContentInfo = AsnConvert.parse(
      der.subarray(encap.start, encap.end),
      EncapsulatedContentInfo,
    );
    sd.certificates = certs && each(der, certs, raw);
    sd.crls = crls && each(der, crls, raw);
    sd.signerInfos = each(der, signers, walkSignerInfo);
    return sd;
  } catch {
    return undefined;
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
  const walked = walkSignedData(der);
  if (walked) return walked;
  const ci = decodeAs(der, ContentInfo, "ContentInfo");
  if (ci.contentType !== OID_SIGNED_DATA) {
    // A hostile identifier can be any length: errors carry at most its first characters.
    const oid = ci.contentType.length > 64 ? `${ci.contentType.slice(0, 64)}…` : ci.contentType;
    throw new Pkcs11exError(
      "not_signed_data",
      `Cannot parse the CMS: the content type ${oid} is not id-signedData`,
      { detail: { oid } },
    );
  }
  return decodeAs(ci.content, RawCertSignedData, "SignedData");
}

/** Encodes a SignedData back into a ContentInfo DER. */
export function encodeSignedData(sd: RawCertSignedData): Uint8Array {
  const ci = new ContentInfo({ contentType: OID_SIGNED_DATA, content: AsnConvert.serialize(sd) });
  return new Uint8Array(AsnConvert.serialize(ci));
}
