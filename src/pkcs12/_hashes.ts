/**
 * The hash functions PKCS#12 bundles name (MAC digests, PBKDF2 PRFs), by OID, with the
 * sizes the PKCS#12 KDF needs.
 *
 * @module
 */

/** A hash known to node:crypto, with its output length `u` and block length `v` in bytes. */
export interface HashInfo {
  /** The node:crypto name. */
  name: "sha1" | "sha224" | "sha256" | "sha384" | "sha512";
  /** Output length in bytes. */
  u: number;
  /** Block length in bytes. */
  v: number;
}

const SHA1: HashInfo = { name: "sha1", u: 20, v: 64 };
const SHA224: HashInfo = { name: "sha224", u: 28, v: 64 };
const SHA256: HashInfo = { name: "sha256", u: 32, v: 64 };
const SHA384: HashInfo = { name: "sha384", u: 48, v: 128 };
const SHA512: HashInfo = { name: "sha512", u: 64, v: 128 };

/** Digest algorithm OIDs (the MAC of a PFX). */
export const DIGESTS: Readonly<Record<string, HashInfo>> = {
  "1.3.14.3.2.26": SHA1,
  "2.16.840.1.101.3.4.2.4": SHA224,
  "2.16.840.1.101.3.4.2.1": SHA256,
  "2.16.840.1.101.3.4.2.2": SHA384,
  "2.16.840.1.101.3.4.2.3": SHA512,
};

/** HMAC algorithm OIDs (the PRF of PBKDF2, the MAC scheme of PBMAC1). */
export const HMACS: Readonly<Record<string, HashInfo>> = {
  "1.2.840.113549.2.7": SHA1,
  "1.2.840.113549.2.8": SHA224,
  "1.2.840.113549.2.9": SHA256,
  "1.2.840.113549.2.10": SHA384,
  "1.2.840.113549.2.11": SHA512,
};

/** HMAC-SHA-1, the PBKDF2 PRF when the parameters name none. */
export const DEFAULT_PRF: HashInfo = SHA1;
