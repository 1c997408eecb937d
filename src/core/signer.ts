/**
 * The signing seam between formats and keys.
 *
 * Formats (JWS, PDF, XML, CMS) never touch PKCS#11: they receive a {@linkcode DocumentSigner}
 * that signs their to-be-signed bytes. `Pkcs11ex` builds one over a token key; tests build
 * one over a software key to check formats against outside tools.
 *
 * @module
 */

/** The encoding of a signature value: `jose` (raw r‖s for ECDSA) or `der` (a DER SEQUENCE). */
export type EncodingContext = "jose" | "der";

/** Something that signs bytes with one key and knows the certificate chain of that key. */
export interface DocumentSigner {
  /** The JOSE name of the signature algorithm (`PS256`, `RS256`, `ES256`, `EdDSA`, …). */
  readonly alg: string;
  /** The signer's certificate chain as DER, leaf first (may be empty for a bare key). */
  readonly certificates: readonly Uint8Array[];
  /**
   * Signs `data` — the to-be-signed bytes, not a digest: the signer hashes as the
   * algorithm requires — and returns the signature in the given encoding context.
   */
  sign(data: Uint8Array, context: EncodingContext): Promise<Uint8Array>;
}
