/** Big-endian byte / bigint conversions and modular arithmetic for the raw verifiers. @module */

/** The unsigned big-endian integer in `bytes`. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let out = 0n;
  for (const b of bytes) out = (out << 8n) | BigInt(b);
  return out;
}

/**
 * The two's-complement big-endian integer in `bytes`: how a DER INTEGER such as a certificate
 * serial number reads (`80 01` is negative). Every comparison of serials uses this one reading.
 */
export function bytesToSignedBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt.asIntN(bytes.length * 8, bytesToBigInt(bytes));
}

/** `value` as exactly `length` big-endian bytes (`undefined` when it does not fit). */
export function bigIntToBytes(value: bigint, length: number): Uint8Array | undefined {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return v === 0n ? out : undefined;
}

/** `base^exp mod m`. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** Non-negative `a mod m`. */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** The inverse of `a` modulo the prime `m` (extended Euclid). */
export function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}
