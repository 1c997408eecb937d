/** The DER `DigestInfo` that PKCS#1 v1.5 signs (RFC 8017 §9.2). @module */

/** The DER of `DigestInfo` up to the digest, as hex (the digest's OCTET STRING header last). */
const PREFIXES: Record<string, Uint8Array> = {
  sha256: fromHex("3031300d060960864801650304020105000420"),
  sha384: fromHex("3041300d060960864801650304020205000430"),
  sha512: fromHex("3051300d060960864801650304020305000440"),
};

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}

/**
 * Wraps a digest in its DER `DigestInfo` (the input of `CKM_RSA_PKCS` for a precomputed
 * digest).
 *
 * @throws {RangeError} when the hash is unknown or the digest has the wrong length.
 */
export function digestInfo(hash: string, digest: Uint8Array): Uint8Array {
  const prefix = PREFIXES[hash];
  if (!prefix || digest.length !== prefix[prefix.length - 1]) {
    throw new RangeError(`Cannot build a DigestInfo for ${hash} over ${digest.length} bytes`);
  }
  const out = new Uint8Array(prefix.length + digest.length);
  out.set(prefix);
  out.set(digest, prefix.length);
  return out;
}
