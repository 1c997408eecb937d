/**
 * Reads `<ds:SignatureMethod>` into a JOSE algorithm. Besides the fixed URIs of uris.ts it
 * accepts the RFC 6931 §2.3.10 `rsa-pss` method (as xadesjs writes PS256) when its
 * `RSAPSSParams` say exactly what PS256 is: SHA-256, MGF1 with SHA-256, a 32-byte salt and
 * trailer field 1. Any other parameter is `unsupported_signature_method`.
 *
 * @module
 */
import { attr, childElements, textContent, type XmlElement } from "./dom.ts";
import { xmlError } from "./errors.ts";
import { algOfSignatureMethod, DS_NS, SHA256_URI } from "./uris.ts";

/** The RFC 6931 RSASSA-PSS method with explicit parameters. */
export const RSA_PSS_URI = "http://www.w3.org/2007/05/xmldsig-more#rsa-pss";
const PSS_NS = "http://www.w3.org/2007/05/xmldsig-more#";
const MGF1_URI = "http://www.w3.org/2007/05/xmldsig-more#MGF1";

function onlyChild(parent: XmlElement, ns: string, local: string): XmlElement | undefined {
  const all = childElements(parent, ns, local);
  return all.length === 1 ? all[0] : undefined;
}

/** Whether the RSAPSSParams (absent: all defaults) are PS256's. */
function isPs256Params(method: XmlElement): boolean {
  const kids = childElements(method);
  if (kids.length === 0) return true;
  const params = onlyChild(method, PSS_NS, "RSAPSSParams");
  if (kids.length !== 1 || !params) return false;
  const known = new Set(["DigestMethod", "MaskGenerationFunction", "SaltLength", "TrailerField"]);
  for (const k of childElements(params)) {
    const ns = k.localName === "DigestMethod" ? DS_NS : PSS_NS;
    if (!known.has(k.localName) || k.namespaceURI !== ns) return false;
    if (childElements(params, ns, k.localName).length !== 1) return false;
  }
  const digest = onlyChild(params, DS_NS, "DigestMethod");
  const mgf = onlyChild(params, PSS_NS, "MaskGenerationFunction");
  const mgfDigest = mgf && onlyChild(mgf, DS_NS, "DigestMethod");
  const salt = onlyChild(params, PSS_NS, "SaltLength");
  const trailer = onlyChild(params, PSS_NS, "TrailerField");
  return (!digest || attr(digest, "Algorithm") === SHA256_URI) &&
    (!mgf || (attr(mgf, "Algorithm") === MGF1_URI &&
      (!mgfDigest || attr(mgfDigest, "Algorithm") === SHA256_URI))) &&
    (!salt || textContent(salt).trim() === "32") &&
    (!trailer || textContent(trailer).trim() === "1");
}

/** The JOSE algorithm of a SignatureMethod element (reason `unsupported_signature_method`). */
export function algOfSignatureMethodElement(method: XmlElement): string {
  const uri = attr(method, "Algorithm") ?? "";
  if (uri === RSA_PSS_URI) {
    if (isPs256Params(method)) return "PS256";
    throw xmlError(
      "unsupported_signature_method",
      "Cannot verify RSASSA-PSS with parameters other than SHA-256, MGF1-SHA-256, salt 32",
      { uri },
    );
  }
  if (childElements(method).length > 0) {
    throw xmlError("unsupported_signature_method", `Cannot verify ${uri} with parameters`, { uri });
  }
  return algOfSignatureMethod(uri);
}
