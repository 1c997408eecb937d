/** The DER `DigestInfo` that PKCS#1 v1.5 signs (RFC 8017 §9.2). @module */

const PREFIXES: Record<string, number[]> = {
  sha256: [
    0x30,
    0x31,
    0x30,
    0x0d,
    0x06,
    0x09,
    0x60,
    0x86,
    0x48,
    0x01,
    0x65,
    0x03,
    0x04,
    0x02,
    0x01,
    0x05,
    0x00,
    0x04,
    0x20,
  ],
  sha384: [
    0x30,
    0x41,
    0x30,
    0x0d,
    0x06,
    0x09,
    0x60,
    0x86,
    0x48,
    0x01,
    0x65,
    0x03,
    0x04,
    0x02,
    0x02,
    0x05,
    0x00,
    0x04,
    0x30,
  ],
  sha512: [
    0x30,
    0x51,
    0x30,
    0x0d,
    0x06,
    0x09,
    0x60,
    0x86,
    0x48,
    0x01,
    0x65,
    0x03,
    0x04,
    0x02,
    0x03,
    0x05,
    0x00,
    0x04,
    0x40,
  ],
};

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
