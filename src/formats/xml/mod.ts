/**
 * XAdES (XML) signing and verification: enveloped B-B / B-T signatures with exclusive
 * c14n, verified in the seven steps of api §3.4 and safe against signature wrapping.
 *
 * @module
 */
export { signXml, type XmlSignOptions } from "./sign.ts";
export { verifyXml, type XmlVerifyOptions, type XmlVerifyResult } from "./verify.ts";
export type { VerifiedTimeStamp } from "./timestamp.ts";
export {
  C14N,
  C14N_WITH_COMMENTS,
  type C14nOptions,
  canonicalize,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
} from "./c14n.ts";
export { parseXml, type XmlLimits } from "./parser.ts";
export type {
  XmlAttribute,
  XmlComment,
  XmlDocument,
  XmlElement,
  XmlNamespaceDecl,
  XmlNode,
  XmlPi,
  XmlText,
} from "./dom.ts";
export type { NamespaceScope } from "./namespace_scope.ts";
export type { TimestampInfo } from "../tsp/mod.ts";
export type { DocumentSigner, EncodingContext } from "../../core/signer.ts";
