/**
 * Step 2 of XML verification: reads one enveloped `<ds:Signature>` into its parts and
 * refuses every structure that signature wrapping relies on (a reference to anything but the
 * document element or this signature's own SignedProperties, unknown transforms, stray
 * QualifyingProperties).
 *
 * @module
 */
import { decodeBase64 } from "../../core/x509/pem.ts";
import {
  C14N,
  C14N_WITH_COMMENTS,
  EXC_C14N_WITH_COMMENTS,
  isSupportedC14n,
  requireSupportedC14n,
} from "./c14n.ts";
import {
  attr,
  childElements,
  isElement,
  textContent,
  type XmlDocument,
  type XmlElement,
} from "./dom.ts";
import { malformedXml, xmlError } from "./errors.ts";
import { DS_NS, ENVELOPED_SIGNATURE, SIGNED_PROPERTIES_TYPE, XADES_NS } from "./uris.ts";

const EXC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#";

/** A canonicalization step: exclusive c14n with its options, or inclusive c14n 1.0. */
export interface C14nSpec {
  readonly inclusive: boolean;
  readonly withComments: boolean;
  readonly inclusivePrefixes: readonly string[];
}

/** A `<ds:Reference>` that passed the wrapping checks. */
export interface ReferenceParts {
  /** The element the reference covers (the root for a data reference). */
  readonly target: XmlElement;
  /** Whether the reference is `URI=""` or has no URI (the whole document), not `#rootId`. */
  readonly wholeDocument: boolean;
  /** The c14n step after the optional enveloped-signature transform. */
  readonly c14n: C14nSpec;
  /** The DigestMethod URI. */
  readonly digestMethod: string;
  /** The DigestValue (undefined when it is not base64). */
  readonly digestValue: Uint8Array | undefined;
}

/** A SignatureTimeStamp of the unsigned properties. */
export interface SignatureTimeStampParts {
  readonly c14n: C14nSpec;
  readonly token: Uint8Array;
}

/** Everything step 2 extracts from the signature. */
export interface SignatureParts {
  readonly signature: XmlElement;
  readonly signedInfo: XmlElement;
  readonly c14n: C14nSpec;
  /** The SignatureMethod element (read into an algorithm at step 3). */
  readonly signatureMethod: XmlElement;
  readonly signatureValueElement: XmlElement;
  readonly signatureValue: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  /** The other references, checked by {@linkcode readDataReference} at step 5. */
  readonly otherReferences: readonly XmlElement[];
  readonly signedProperties: ReferenceParts;
  readonly certDigest: { readonly method: string; readonly value: Uint8Array | undefined };
  /** The DER IssuerSerialV2 of SigningCertificateV2. */
  readonly issuerSerialV2: Uint8Array | undefined;
  /** The X509IssuerName and X509SerialNumber of a (v1) SigningCertificate. */
  readonly issuerSerialV1:
    | { readonly issuerName: string; readonly serialNumber: string }
    | undefined;
  readonly signingTime: string | undefined;
  readonly timestamps: readonly SignatureTimeStampParts[];
}

/** Every `<ds:Signature>` element of the document. */
export function findSignatures(doc: XmlDocument): XmlElement[] {
  return doc.elements.filter((e) => isElement(e, DS_NS, "Signature"));
}

function wrapping(kind: string, message: string, extra: Record<string, unknown> = {}): Error {
  return xmlError("signature_wrapping", `Cannot accept the signature: ${message}`, {
    kind,
    ...extra,
  });
}

function one(parent: XmlElement, ns: string, local: string): XmlElement {
  const found = childElements(parent, ns, local);
  if (found.length !== 1) {
    throw malformedXml(
      "invalid_signature_structure",
      parent.start,
      `<${parent.qName}> needs exactly one ${local}`,
    );
  }
  return found[0];
}

function optional(parent: XmlElement, ns: string, local: string): XmlElement | undefined {
  const found = childElements(parent, ns, local);
  if (found.length > 1) {
    throw malformedXml(
      "invalid_signature_structure",
      parent.start,
      `<${parent.qName}> has several ${local}`,
    );
  }
  return found[0];
}

function algorithm(el: XmlElement): string {
  const uri = attr(el, "Algorithm");
  if (uri === undefined) {
    throw malformedXml("invalid_signature_structure", el.start, "an Algorithm is missing");
  }
  return uri;
}

/** Reads a CanonicalizationMethod or c14n Transform element. */
function c14nSpec(el: XmlElement): C14nSpec {
  const uri = algorithm(el);
  requireSupportedC14n(uri);
  const inclusive = uri === C14N || uri === C14N_WITH_COMMENTS;
  const incl = optional(el, EXC_NS, "InclusiveNamespaces");
  if (incl && inclusive) {
    throw malformedXml("invalid_signature_structure", incl.start, "a PrefixList needs exc-c14n");
  }
  const list = incl ? (attr(incl, "PrefixList") ?? "").trim() : "";
  return {
    inclusive,
    withComments: uri === EXC_C14N_WITH_COMMENTS || uri === C14N_WITH_COMMENTS,
    inclusivePrefixes: list ? list.split(/\s+/) : [],
  };
}

function readReference(
  ref: XmlElement,
  doc: XmlDocument,
  ids: ReadonlyMap<string, XmlElement>,
): ReferenceParts & { type?: string } {
  const uri = attr(ref, "URI");
  let target: XmlElement | undefined;
  // No URI (as xadesjs writes the data reference): XML-DSig leaves the data to the
  // application; here it can only mean the document this signature is in, the same node-set
  // as URI="". The enveloped transform is then required below, and the digest over the whole
  // document proves what was signed: no Id is looked up, so nothing can be redirected.
  if (uri === "" || uri === undefined) target = doc.root;
  else if (uri !== undefined && /^#[^\s#()]+$/.test(uri)) {
    target = ids.get(uri.slice(1));
    if (!target) throw wrapping("reference_target_not_found", `nothing has the Id ${uri}`, { uri });
  } else {throw wrapping("unsupported_reference_uri", `the reference URI is not supported`, {
      uri: uri ?? null,
    });}
  const transforms = childElements(ref, DS_NS, "Transforms");
  const list = transforms.length === 1 ? childElements(transforms[0], DS_NS, "Transform") : [];
  if (transforms.length > 1) {
    throw malformedXml("invalid_signature_structure", ref.start, "several Transforms");
  }
  let enveloped = false;
  let c14n: C14nSpec | undefined;
  list.forEach((t, i) => {
    const a = algorithm(t);
    if (a === ENVELOPED_SIGNATURE && i === 0) enveloped = true;
    else if (i === list.length - 1 && c14n === undefined && isSupportedC14n(a)) {
      c14n = c14nSpec(t);
    } else {throw xmlError("c14n", `Cannot apply the transform ${a}`, {
        kind: "unsupported_transform",
        uri: a,
      });}
  });
  // No explicit c14n: XML-DSig §4.3.3.2 converts the node-set with inclusive c14n 1.0.
  c14n ??= { inclusive: true, withComments: false, inclusivePrefixes: [] };
  const type = attr(ref, "Type");
  const isRoot = target === doc.root;
  if (enveloped && !isRoot) {
    throw wrapping(
      "data_reference_not_root",
      "the enveloped reference does not cover the document element",
    );
  }
  if (isRoot && !enveloped) {
    throw wrapping(
      "data_reference_not_enveloped",
      "the document reference lacks the enveloped-signature transform",
    );
  }

  return {
    target,
    wholeDocument: uri === "" || uri === undefined,
    c14n,
    digestMethod: algorithm(one(ref, DS_NS, "DigestMethod")),
    digestValue: decodeBase64(textContent(one(ref, DS_NS, "DigestValue"))),
    type,
  };
}

/** Step 2: reads and checks the one signature of an enveloped XAdES document. */
export function readSignature(
  doc: XmlDocument,
  signature: XmlElement,
  ids: ReadonlyMap<string, XmlElement>,
): SignatureParts {
  const kids = childElements(signature);
  if (
    !kids[0] || !isElement(kids[0], DS_NS, "SignedInfo") || !kids[1] ||
    !isElement(kids[1], DS_NS, "SignatureValue")
  ) {
    throw malformedXml(
      "invalid_signature_structure",
      signature.start,
      "SignedInfo and SignatureValue must come first",
    );
  }
  for (const k of kids.slice(2)) {
    if (!isElement(k, DS_NS, "KeyInfo") && !isElement(k, DS_NS, "Object")) {
      throw malformedXml(
        "invalid_signature_structure",
        k.start,
        `unexpected <${k.qName}> in the signature`,
      );
    }
  }
  const [signedInfo, valueEl] = kids;
  const c14n = c14nSpec(one(signedInfo, DS_NS, "CanonicalizationMethod"));
  const signatureMethod = one(signedInfo, DS_NS, "SignatureMethod");
  algorithm(signatureMethod);
  let props: ReferenceParts | undefined;
  const otherReferences: XmlElement[] = [];
  for (const refEl of childElements(signedInfo, DS_NS, "Reference")) {
    const type = attr(refEl, "Type");
    const uri = attr(refEl, "URI") ?? "";
    const target = uri.startsWith("#") ? ids.get(uri.slice(1)) : undefined;
    const isProps = type === SIGNED_PROPERTIES_TYPE ||
      (target !== undefined && isElement(target, XADES_NS, "SignedProperties"));
    if (!isProps) {
      otherReferences.push(refEl);
      continue;
    }
    // Only "#Id" may name SignedProperties: no URI or URI="" would mean the whole document.
    const ref = target ? readReference(refEl, doc, ids) : undefined;
    if (props || !ref || !isElement(ref.target, XADES_NS, "SignedProperties")) {
      throw wrapping(
        "signed_properties_reference_invalid",
        "the SignedProperties reference is ambiguous or points elsewhere",
      );
    }
    props = ref;
  }
  if (!props) {
    throw wrapping(
      "signed_properties_reference_missing",
      "no reference covers the SignedProperties",
    );
  }
  const qp = props.target.parent;
  const objects = childElements(signature, DS_NS, "Object");
  const allQp = objects.flatMap((o) => childElements(o, XADES_NS, "QualifyingProperties"));
  const sigId = attr(signature, "Id");
  if (
    !qp || allQp.length !== 1 || allQp[0] !== qp || qp.parent?.parent !== signature ||
    sigId === undefined || attr(qp, "Target") !== `#${sigId}`
  ) {
    throw wrapping(
      "signed_properties_misplaced",
      "the SignedProperties are not this signature's own",
    );
  }
  const ssp = one(props.target, XADES_NS, "SignedSignatureProperties");
  const v2 = optional(ssp, XADES_NS, "SigningCertificateV2");
  const v1 = optional(ssp, XADES_NS, "SigningCertificate");
  if ((v1 === undefined) === (v2 === undefined)) {
    throw xmlError(
      "xades_cert_digest_mismatch",
      "Cannot bind the signer: exactly one SigningCertificate(V2) is needed",
      {
        kind: "signing_certificate_missing",
      },
    );
  }
  const certs = childElements((v2 ?? v1)!, XADES_NS, "Cert");
  if (certs.length === 0) {
    throw malformedXml("invalid_signature_structure", (v2 ?? v1)!.start, "no Cert");
  }
  const certDigestEl = one(certs[0], XADES_NS, "CertDigest");
  const issuerSerialEl = optional(certs[0], XADES_NS, v2 ? "IssuerSerialV2" : "IssuerSerial");
  let issuerSerialV1: SignatureParts["issuerSerialV1"];
  if (v1 && issuerSerialEl) {
    issuerSerialV1 = {
      issuerName: textContent(one(issuerSerialEl, DS_NS, "X509IssuerName")),
      serialNumber: textContent(one(issuerSerialEl, DS_NS, "X509SerialNumber")).trim(),
    };
  }
  const keyInfo = optional(signature, DS_NS, "KeyInfo");
  const certificates = (keyInfo ? childElements(keyInfo, DS_NS, "X509Data") : [])
    .flatMap((d) => childElements(d, DS_NS, "X509Certificate"))
    .map((c) => {
      const der = decodeBase64(textContent(c));
      if (!der) throw malformedXml("invalid_base64", c.start, "an X509Certificate is not base64");
      return der;
    });
  if (certificates.length === 0) {
    throw malformedXml("missing_certificate", signature.start, "KeyInfo has no X509Certificate");
  }
  const signatureValue = decodeBase64(textContent(valueEl));
  if (!signatureValue) {
    throw malformedXml("invalid_base64", valueEl.start, "the SignatureValue is not base64");
  }
  const signingTime = optional(ssp, XADES_NS, "SigningTime");
  const usp = childElements(qp, XADES_NS, "UnsignedProperties")
    .flatMap((u) => childElements(u, XADES_NS, "UnsignedSignatureProperties"));
  const timestamps = usp.flatMap((u) => childElements(u, XADES_NS, "SignatureTimeStamp")).map(
    (ts) => {
      const token = decodeBase64(textContent(one(ts, XADES_NS, "EncapsulatedTimeStamp")));
      if (!token) {
        throw malformedXml("invalid_base64", ts.start, "an EncapsulatedTimeStamp is not base64");
      }
      return { c14n: c14nSpec(one(ts, DS_NS, "CanonicalizationMethod")), token };
    },
  );
  return {
    signature,
    signedInfo,
    c14n,
    signatureMethod,
    signatureValueElement: valueEl,
    signatureValue,
    certificates,
    otherReferences,
    signedProperties: props,
    certDigest: {
      method: algorithm(one(certDigestEl, DS_NS, "DigestMethod")),
      value: decodeBase64(textContent(one(certDigestEl, DS_NS, "DigestValue"))),
    },
    issuerSerialV1,
    issuerSerialV2: v2 && issuerSerialEl
      ? decodeBase64(textContent(issuerSerialEl)) ?? new Uint8Array()
      : undefined,
    signingTime: signingTime ? textContent(signingTime).trim() : undefined,
    timestamps,
  };
}

/**
 * Step 5: the one data reference. It must be `URI=""` (or `#Id` of the document element) with
 * the enveloped-signature transform, and the signature must be a child of the document
 * element: nothing else can be what the caller receives as "the signed document".
 */
export function readDataReference(
  doc: XmlDocument,
  parts: SignatureParts,
  ids: ReadonlyMap<string, XmlElement>,
): ReferenceParts {
  if (parts.signature.parent !== doc.root) {
    throw wrapping(
      "signature_not_enveloped",
      "the signature is not a child of the document element",
    );
  }
  if (parts.otherReferences.length === 0) {
    throw wrapping("data_reference_missing", "no reference covers the document element");
  }
  if (parts.otherReferences.length > 1) {
    throw wrapping(
      "unexpected_reference",
      "a reference covers something other than the document and its SignedProperties",
    );
  }
  const ref = readReference(parts.otherReferences[0], doc, ids);
  if (ref.target !== doc.root || ref.type !== undefined) {
    throw wrapping(
      "data_reference_not_root",
      "the data reference does not cover the document element",
    );
  }
  return ref;
}
