/**
 * The namespaces and algorithm URIs of XML-DSig and XAdES that this format speaks, in one
 * place: which JOSE algorithm each SignatureMethod URI means, and which hash each
 * DigestMethod URI means.
 *
 * @module
 */
import { xmlError } from "./errors.ts";

/** The XML-DSig namespace. */
export const DS_NS = "http://www.w3.org/2000/09/xmldsig#";
/** The XAdES 1.3.2 namespace. */
export const XADES_NS = "http://uri.etsi.org/01903/v1.3.2#";
/** The Type of the SignedProperties reference. */
export const SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties";
/** The enveloped-signature transform. */
export const ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const SIGNATURE_METHODS: Readonly<Record<string, string>> = {
  RS256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  PS256: "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
  ES256: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
};

/** DigestMethod URIs and their node:crypto hash names. */
const DIGEST_METHODS: Readonly<Record<string, string>> = {
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};

/** The DigestMethod URI of SHA-256 (the only digest the signer writes). */
export const SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256";

/** The SignatureMethod URI of a JOSE algorithm the signer supports. */
export function signatureMethodUri(alg: string): string {
  const uri = SIGNATURE_METHODS[alg];
  if (uri === undefined) {
    throw xmlError(
      "unsupported_signature_method",
      `Cannot sign XML with ${alg}: only RS256, PS256 and ES256 are wired`,
      { alg },
    );
  }
  return uri;
}

/** The JOSE algorithm of a SignatureMethod URI (reason `unsupported_signature_method`). */
export function algOfSignatureMethod(uri: string): string {
  for (const [alg, u] of Object.entries(SIGNATURE_METHODS)) if (u === uri) return alg;
  throw xmlError("unsupported_signature_method", `Cannot verify the signature method ${uri}`, {
    uri,
  });
}

/** The hash name of a DigestMethod URI (reason `unsupported_signature_method`). */
export function hashOfDigestMethod(uri: string): string {
  const h = DIGEST_METHODS[uri];
  if (h === undefined) {
    throw xmlError("unsupported_signature_method", `Cannot compute the digest method ${uri}`, {
      uri,
    });
  }
  return h;
}
