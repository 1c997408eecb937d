/**
 * Signs an XML document with an enveloped XAdES B-B (or, with a TSA, B-T) signature.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import type { DocumentSigner } from "../../core/signer.ts";
import { parseCertificate } from "../../core/x509.ts";
import { encodeBase64 } from "../../core/x509/pem.ts";
import { canonicalize } from "./c14n.ts";
import { byteOffset, decodeXml, encodeInserted } from "./decode.ts";
import type { XmlDocument, XmlElement } from "./dom.ts";
import { indexIds } from "./ids.ts";
import { encodeIssuerSerial } from "../cms/ess.ts";
import { parseXml, type XmlLimits } from "./parser.ts";
import { findSignatures } from "./signature_reader.ts";
import { stampSignatureValue } from "./timestamp.ts";
import { DS_NS, signatureMethodUri, XADES_NS } from "./uris.ts";
import {
  inDsScope,
  objectXml,
  type SignatureIds,
  signatureTimeStampXml,
  signatureValueXml,
  signatureXml,
  signedInfoXml,
  signedPropertiesXml,
} from "./xades_build.ts";

/** Options of {@linkcode signXml}. */
export interface XmlSignOptions {
  /** The claimed signing time (default: now). */
  signingTime?: Date;
  /**
   * The RFC 3161 TSA URL; when set the signature is XAdES B-T (a SignatureTimeStamp over the
   * exc-c14n SignatureValue). A TSA failure is `bt_failed` and no document is produced.
   */
  tsaUrl?: string;
  /** Time limit of the TSA exchange in milliseconds (default 10 000). */
  tsaTimeoutMs?: number;
  /** The MIME type of the signed document in DataObjectFormat (default `text/xml`). */
  mimeType?: string;
  /** Parser bounds. */
  limits?: XmlLimits;
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

function b64sha256(data: Uint8Array): string {
  return encodeBase64(sha256(data));
}

/** Parses a generated fragment and returns its first `{ns}local` element. */
function fragment(text: string, ns: string, local: string): XmlElement {
  const el = parseXml(inDsScope(text)).elements.find((e) =>
    e.namespaceURI === ns && e.localName === local
  );
  if (!el) throw new Error(`Internal error: generated XML lacks ${local}`);
  return el;
}

function newIds(doc: XmlDocument): SignatureIds {
  const taken = indexIds(doc);
  for (;;) {
    const base = `id-${randomBytes(16).toString("hex")}`;
    const ids = {
      signature: base,
      dataReference: `r-${base}`,
      signedProperties: `xades-${base}`,
      signatureValue: `value-${base}`,
    };
    if (![...Object.values(ids), `ts-${base}`].some((id) => taken.has(id))) return ids;
  }
}

/** Builds the Signature element text for `doc`. */
async function buildSignature(
  doc: XmlDocument,
  signer: DocumentSigner,
  opts: XmlSignOptions,
): Promise<string> {
  const method = signatureMethodUri(signer.alg);
  if (signer.certificates.length === 0) {
    throw new Pkcs11exError("cert_not_found", "Cannot sign XML: the signer has no certificate");
  }
  const mimeType = opts.mimeType ?? "text/xml";
  if (!/^[\x21-\x7e]{1,255}$/.test(mimeType)) {
    throw new RangeError("mimeType must be printable ASCII");
  }
  const leaf = parseCertificate(signer.certificates[0]);
  const ids = newIds(doc);
  const props = signedPropertiesXml(ids, {
    signingTime: opts.signingTime ?? new Date(),
    certDigestB64: b64sha256(leaf.der),
    issuerSerialB64: encodeBase64(encodeIssuerSerial(leaf)),
    mimeType,
  });
  const propsDigest = b64sha256(
    canonicalize(fragment(objectXml(ids, props), XADES_NS, "SignedProperties")),
  );
  const dataDigest = b64sha256(canonicalize(doc));
  const signedInfo = signedInfoXml(ids, method, dataDigest, propsDigest);
  const tbs = canonicalize(fragment(signedInfo, DS_NS, "SignedInfo"));
  const value = encodeBase64(await signer.sign(tbs, "jose"));
  const signatureValue = signatureValueXml(ids, value);
  let unsigned = "";
  if (opts.tsaUrl !== undefined) {
    const token = await stampSignatureValue(fragment(signatureValue, DS_NS, "SignatureValue"), {}, {
      tsaUrl: opts.tsaUrl,
      timeoutMs: opts.tsaTimeoutMs,
    });
    unsigned = signatureTimeStampXml(ids, encodeBase64(token));
  }
  return signatureXml(ids, {
    signedInfo,
    signatureValue,
    certificatesB64: signer.certificates.map(encodeBase64),
    object: objectXml(ids, props, unsigned),
  });
}

/** Splices `sig` before the root's end tag (opening a self-closing root). */
function splice(root: XmlElement, sig: string): { at: number; cut: number; insert: string } {
  if (!root.selfClosing) return { at: root.closeTagStart, cut: root.closeTagStart, insert: sig };
  return { at: root.startTagEnd - 2, cut: root.end, insert: `>${sig}</${root.qName}>` };
}

/**
 * Signs `doc` with an enveloped XAdES signature placed just before the root's end tag. The
 * document's own bytes are kept exactly; the result has the input's type (text or bytes).
 *
 * @example
 * ```ts ignore
 * const signed = await signXml("<invoice><total>10</total></invoice>", signer);
 * ```
 */
export async function signXml(
  doc: string,
  signer: DocumentSigner,
  opts?: XmlSignOptions,
): Promise<string>;
/** Signs XML bytes (UTF-8, US-ASCII or ISO-8859-1) and returns the signed bytes. */
export async function signXml(
  doc: Uint8Array,
  signer: DocumentSigner,
  opts?: XmlSignOptions,
): Promise<Uint8Array>;
export async function signXml(
  doc: string | Uint8Array,
  signer: DocumentSigner,
  opts: XmlSignOptions = {},
): Promise<string | Uint8Array> {
  const decoded = decodeXml(doc);
  const parsed = parseXml(decoded.text, opts.limits);
  if (findSignatures(parsed).length > 0) {
    throw new Pkcs11exError(
      "multiple_signatures_unsupported_in_v1",
      "Cannot sign XML that already carries a ds:Signature",
    );
  }
  const sig = await buildSignature(parsed, signer, opts);
  const { at, cut, insert } = splice(parsed.root, sig);
  if (typeof doc === "string") {
    const offset = decoded.bomLength;
    return doc.slice(0, offset + at) + insert + doc.slice(offset + cut);
  }
  const bytes = decoded.bytes!;
  const from = byteOffset(decoded, at);
  const to = byteOffset(decoded, cut);
  const mid = encodeInserted(decoded, insert);
  const out = new Uint8Array(from + mid.length + bytes.length - to);
  out.set(bytes.subarray(0, from), 0);
  out.set(mid, from);
  out.set(bytes.subarray(to), from + mid.length);
  return out;
}
