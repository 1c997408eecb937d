/**
 * Writes the text of an enveloped XAdES `<ds:Signature>`: SignedInfo, SignedProperties,
 * KeyInfo and the optional SignatureTimeStamp. Only values this module computed (digests,
 * base64, generated Ids, validated options) are written, all escaped.
 *
 * @module
 */
import { EXC_C14N } from "./c14n.ts";
import {
  DS_NS,
  ENVELOPED_SIGNATURE,
  SHA256_URI,
  SIGNED_PROPERTIES_TYPE,
  XADES_NS,
} from "./uris.ts";

/** The generated Ids of one signature. */
export interface SignatureIds {
  /** The Signature element. */
  readonly signature: string;
  /** The data reference. */
  readonly dataReference: string;
  /** The SignedProperties element. */
  readonly signedProperties: string;
  /** The SignatureValue element. */
  readonly signatureValue: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const digestMethod = `<ds:DigestMethod Algorithm="${SHA256_URI}"/>`;

/** The SignedProperties content inside `<xades:QualifyingProperties>`. */
export function signedPropertiesXml(
  ids: SignatureIds,
  p: { signingTime: Date; certDigestB64: string; issuerSerialB64: string; mimeType: string },
): string {
  const time = p.signingTime.toISOString().replace(/\.\d{3}Z$/, "Z");
  return `<xades:SignedProperties Id="${ids.signedProperties}">` +
    `<xades:SignedSignatureProperties><xades:SigningTime>${time}</xades:SigningTime>` +
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>${digestMethod}` +
    `<ds:DigestValue>${p.certDigestB64}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerialV2>${p.issuerSerialB64}</xades:IssuerSerialV2></xades:Cert>` +
    `</xades:SigningCertificateV2></xades:SignedSignatureProperties>` +
    `<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#${ids.dataReference}">` +
    `<xades:MimeType>${esc(p.mimeType)}</xades:MimeType></xades:DataObjectFormat>` +
    `</xades:SignedDataObjectProperties></xades:SignedProperties>`;
}

/** A `<ds:Object>` holding the QualifyingProperties (with optional unsigned properties). */
export function objectXml(ids: SignatureIds, signedProperties: string, unsigned = ""): string {
  return `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#${ids.signature}">` +
    signedProperties + unsigned + `</xades:QualifyingProperties></ds:Object>`;
}

/** The UnsignedProperties carrying one SignatureTimeStamp over the SignatureValue. */
export function signatureTimeStampXml(ids: SignatureIds, tokenB64: string): string {
  return `<xades:UnsignedProperties><xades:UnsignedSignatureProperties>` +
    `<xades:SignatureTimeStamp Id="ts-${ids.signature}"><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<xades:EncapsulatedTimeStamp>${tokenB64}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>` +
    `</xades:UnsignedSignatureProperties></xades:UnsignedProperties>`;
}

/** The SignedInfo with the data reference and the SignedProperties reference. */
export function signedInfoXml(
  ids: SignatureIds,
  signatureMethod: string,
  dataDigestB64: string,
  propsDigestB64: string,
): string {
  const c14n = `<ds:Transform Algorithm="${EXC_C14N}"/>`;
  return `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${signatureMethod}"/>` +
    `<ds:Reference Id="${ids.dataReference}" URI=""><ds:Transforms>` +
    `<ds:Transform Algorithm="${ENVELOPED_SIGNATURE}"/>${c14n}</ds:Transforms>` +
    `${digestMethod}<ds:DigestValue>${dataDigestB64}</ds:DigestValue></ds:Reference>` +
    `<ds:Reference Type="${SIGNED_PROPERTIES_TYPE}" URI="#${ids.signedProperties}">` +
    `<ds:Transforms>${c14n}</ds:Transforms>${digestMethod}` +
    `<ds:DigestValue>${propsDigestB64}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
}

/** The SignatureValue element. */
export function signatureValueXml(ids: SignatureIds, valueB64: string): string {
  return `<ds:SignatureValue Id="${ids.signatureValue}">${valueB64}</ds:SignatureValue>`;
}

/** The whole Signature element around its parts. */
export function signatureXml(
  ids: SignatureIds,
  parts: { signedInfo: string; signatureValue: string; certificatesB64: string[]; object: string },
): string {
  const certs = parts.certificatesB64.map((c) => `<ds:X509Certificate>${c}</ds:X509Certificate>`);
  return `<ds:Signature xmlns:ds="${DS_NS}" Id="${ids.signature}">${parts.signedInfo}` +
    `${parts.signatureValue}<ds:KeyInfo><ds:X509Data>${certs.join("")}</ds:X509Data></ds:KeyInfo>` +
    `${parts.object}</ds:Signature>`;
}

/** Wraps a fragment so it parses alone with the `ds` prefix bound. */
export function inDsScope(fragment: string): string {
  return `<ds:Signature xmlns:ds="${DS_NS}">${fragment}</ds:Signature>`;
}
