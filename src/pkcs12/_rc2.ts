/**
 * RC2 decryption (RFC 2268) in CBC mode, for the `pbeWithSHAAnd40BitRC2-CBC` and
 * `pbeWithSHAAnd128BitRC2-CBC` bags that Windows and `openssl -legacy` still write. Deno's
 * node:crypto has no RC2, so one implementation serves both runtimes.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** The permutation of RFC 2268 §2, derived from the digits of pi. */
const PITABLE = new Uint8Array(
  Buffer.from(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2" +
      "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82" +
      "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626" +
      "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7" +
      "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec" +
      "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
      "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9" +
      "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad",
    "hex",
  ),
);

/** Key expansion (RFC 2268 §2): 64 16-bit subkeys from a key and an effective bit length. */
function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const t = key.length;
  if (t < 1 || t > 128 || effectiveBits < 1 || effectiveBits > 1024) {
    throw new RangeError("Cannot expand the RC2 key: bad key or effective key length");
  }
  const l = new Uint8Array(128);
  l.set(key);
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1] + l[i - t]) & 0xff];
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[l[128 - t8] & tm];
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1] ^ l[i + t8]];
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i] | (l[2 * i + 1] << 8);
  l.fill(0);
  return k;
}

const ROTATE = [1, 2, 3, 5];

/** Decrypts one 8-byte block in place (RFC 2268 §4). */
function decryptBlock(k: Uint16Array, block: Uint8Array, off: number): void {
  const r = new Uint16Array(4);
  for (let i = 0; i < 4; i++) r[i] = block[off + 2 * i] | (block[off + 2 * i + 1] << 8);
  let j = 63;
  const mix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = ROTATE[i];
      r[i] = (r[i] >> s) | (r[i] << (16 - s));
      r[i] = r[i] - k[j--] - (r[(i + 3) & 3] & r[(i + 2) & 3]) - (~r[(i + 3) & 3] & r[(i + 1) & 3]);
    }
  };
  const mash = (): void => {
    for (let i = 3; i >= 0; i--) r[i] = r[i] - k[r[(i + 3) & 3] & 63];
  };
  for (const [rounds, thenMash] of [[5, true], [6, true], [5, false]] as const) {
    for (let n = 0; n < rounds; n++) mix();
    if (thenMash) mash();
  }
  for (let i = 0; i < 4; i++) {
    block[off + 2 * i] = r[i] & 0xff;
    block[off + 2 * i + 1] = r[i] >> 8;
  }
  r.fill(0);
}

/**
 * Decrypts RC2-CBC without removing padding.
 *
 * @param key The key bytes (5 for RC2-40, 16 for RC2-128).
 * @param effectiveBits The effective key length in bits.
 * @param iv The 8-byte IV.
 * @param data The ciphertext, a multiple of 8 bytes.
 */
export function rc2CbcDecrypt(
  key: Uint8Array,
  effectiveBits: number,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  if (iv.length !== 8 || data.length % 8 !== 0) {
    throw new RangeError("Cannot decrypt RC2-CBC: the IV or data length is not a whole block");
  }
  const k = expandKey(key, effectiveBits);
  const out = data.slice();
  for (let off = 0; off < out.length; off += 8) {
    decryptBlock(k, out, off);
    const prev = off === 0 ? iv : data.subarray(off - 8, off);
    for (let i = 0; i < 8; i++) out[off + i] ^= prev[i];
  }
  k.fill(0);
  return out;
}
