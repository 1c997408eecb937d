/**
 * The PKCS#12 key derivation function of RFC 7292 appendix B.2, used by the PFX MAC and the
 * `pbeWithSHAAnd…` ciphers. Intermediate buffers are zeroed before returning.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { HashInfo } from "./_hashes.ts";

/** What the derived bytes are for (the diversifier ID of B.3). */
export const KDF_ID = { key: 1, iv: 2, mac: 3 } as const;

/** Repeats `src` to fill a multiple of `v` bytes (empty input stays empty). */
function stretch(src: Uint8Array, v: number): Uint8Array {
  const out = new Uint8Array(v * Math.ceil(src.length / v));
  for (let i = 0; i < out.length; i++) out[i] = src[i % src.length];
  return out;
}

/**
 * Derives `n` bytes from a BMPString password and a salt.
 *
 * @param hash The hash (SHA-1 for the legacy ciphers, the MAC digest for the MAC key).
 * @param bmpPassword The password as BMPString with its terminator (or empty for NULL).
 * @param salt The salt.
 * @param id 1 for a key, 2 for an IV, 3 for a MAC key.
 * @param iterations The iteration count (already checked against the budget).
 * @param n How many bytes to derive.
 */
export function pkcs12Kdf(
  hash: HashInfo,
  bmpPassword: Uint8Array,
  salt: Uint8Array,
  id: number,
  iterations: number,
  n: number,
): Uint8Array {
  const { u, v } = hash;
  const d = new Uint8Array(v).fill(id);
  const s = stretch(salt, v);
  const p = stretch(bmpPassword, v);
  const i = new Uint8Array(s.length + p.length);
  i.set(s);
  i.set(p, s.length);
  p.fill(0);
  const out = new Uint8Array(Math.ceil(n / u) * u);
  const b = new Uint8Array(v);
  for (let round = 0; round * u < n; round++) {
    let a = new Uint8Array(createHash(hash.name).update(d).update(i).digest());
    for (let c = 1; c < iterations; c++) {
      const next = new Uint8Array(createHash(hash.name).update(a).digest());
      a.fill(0);
      a = next;
    }
    out.set(a, round * u);
    for (let k = 0; k < v; k++) b[k] = a[k % u];
    a.fill(0);
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I.
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[j + k] + b[k] + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  i.fill(0);
  b.fill(0);
  const result = out.slice(0, n);
  out.fill(0);
  return result;
}
