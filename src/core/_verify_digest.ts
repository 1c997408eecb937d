/**
 * Verification of a signature over a precomputed digest, which WebCrypto cannot do: RSA
 * PKCS#1 v1.5 (DigestInfo comparison), RSA-PSS (EMSA-PSS-VERIFY, RFC 8017 §9.1.2) and
 * ECDSA (FIPS 186-4 §6.4.2) on P-256 / P-384, in portable bigint arithmetic.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { digestInfo } from "./algorithms/digest_info.ts";
import type { Algorithm } from "./algorithms/types.ts";
import { bigIntToBytes, bytesToBigInt, mod, modInv, modPow } from "./_bigint.ts";
import { rsaPublicNumbers } from "./x509/public_key.ts";

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function rsaEncodedMessage(spkiDer: Uint8Array, signature: Uint8Array) {
  const { n, e } = rsaPublicNumbers(spkiDer);
  const modulus = bytesToBigInt(n);
  const k = n.length;
  const s = bytesToBigInt(signature);
  if (signature.length !== k || s >= modulus) return undefined;
  const em = bigIntToBytes(modPow(s, bytesToBigInt(e), modulus), k);
  const modBits = modulus.toString(2).length;
  return em && { em, modBits };
}

function mgf1(hash: string, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let counter = 0, pos = 0; pos < length; counter++) {
    const c = new Uint8Array([
      counter >>> 24,
      (counter >>> 16) & 255,
      (counter >>> 8) & 255,
      counter & 255,
    ]);
    const block = createHash(hash).update(seed).update(c).digest();
    out.set(block.subarray(0, Math.min(block.length, length - pos)), pos);
    pos += block.length;
  }
  return out;
}

function verifyPss(
  hash: string,
  mHash: Uint8Array,
  em: Uint8Array,
  modBits: number,
  sLen: number,
): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const encoded = em.subarray(em.length - emLen);
  if (em.length > emLen && em[0] !== 0) return false;
  const hLen = mHash.length;
  if (emLen < hLen + sLen + 2 || encoded[emLen - 1] !== 0xbc) return false;
  const maskedDb = encoded.subarray(0, emLen - hLen - 1);
  const h = encoded.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0] & ~topMask) !== 0) return false;
  const db = mgf1(hash, h, maskedDb.length).map((m, i) => m ^ maskedDb[i]);
  db[0] &= topMask;
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 1) return false;
  const salt = db.subarray(db.length - sLen);
  const hPrime = createHash(hash).update(new Uint8Array(8)).update(mHash).update(salt).digest();
  return equalBytes(new Uint8Array(hPrime), h);
}

interface Curve {
  p: bigint;
  n: bigint;
  b: bigint;
  g: [bigint, bigint];
  size: number;
}

const CURVES: Record<string, Curve> = {
  "P-256": {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    g: [
      0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
      0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    ],
    size: 32,
  },
  "P-384": {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    g: [
      0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
      0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    ],
    size: 48,
  },
};

type Point = [bigint, bigint] | null;

function add(c: Curve, P: Point, Q: Point): Point {
  if (!P) return Q;
  if (!Q) return P;
  const { p } = c;
  let lambda: bigint;
  if (P[0] === Q[0]) {
    if (mod(P[1] + Q[1], p) === 0n) return null;
    lambda = mod((3n * P[0] * P[0] - 3n) * modInv(2n * P[1], p), p);
  } else {
    lambda = mod((Q[1] - P[1]) * modInv(Q[0] - P[0], p), p);
  }
  const x = mod(lambda * lambda - P[0] - Q[0], p);
  return [x, mod(lambda * (P[0] - x) - P[1], p)];
}

function multiply(c: Curve, k: bigint, P: Point): Point {
  let result: Point = null;
  let addend = P;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(c, result, addend);
    addend = add(c, addend, addend);
  }
  return result;
}

function verifyEcdsa(
  curve: Curve,
  spkiDer: Uint8Array,
  digest: Uint8Array,
  raw: Uint8Array,
): boolean {
  const point = new Uint8Array(AsnConvert.parse(spkiDer, SubjectPublicKeyInfo).subjectPublicKey);
  const { p, n, b, size } = curve;
  if (point.length !== 1 + 2 * size || point[0] !== 4 || raw.length !== 2 * size) return false;
  const Q: Point = [
    bytesToBigInt(point.subarray(1, 1 + size)),
    bytesToBigInt(point.subarray(1 + size)),
  ];
  if (mod(Q[1] * Q[1] - (Q[0] * Q[0] * Q[0] - 3n * Q[0] + b), p) !== 0n) return false;
  const r = bytesToBigInt(raw.subarray(0, size));
  const s = bytesToBigInt(raw.subarray(size));
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const nBits = n.toString(2).length;
  let e = bytesToBigInt(digest);
  if (digest.length * 8 > nBits) e >>= BigInt(digest.length * 8 - nBits);
  const w = modInv(s, n);
  const X = add(curve, multiply(curve, mod(e * w, n), curve.g), multiply(curve, mod(r * w, n), Q));
  return X !== null && mod(X[0], n) === r;
}

/**
 * Refuses a precomputed digest that `algorithm` cannot verify: EdDSA (it hashes inside), an
 * unsupported curve, or a digest of the wrong length for the algorithm's hash.
 *
 * @throws {RangeError} naming what is wrong.
 */
export function checkPrecomputedDigest(algorithm: Algorithm, digest: Uint8Array): void {
  const { family, namedCurve } = algorithm.verify;
  if (family === "ecdsa" && !CURVES[namedCurve ?? ""]) {
    throw new RangeError(`Cannot verify a precomputed digest with ${algorithm.name}`);
  }
  checkDigestLength(algorithm, digest, "verify");
}

/**
 * Refuses a precomputed digest of the wrong length for `algorithm`'s hash, or any for an
 * algorithm that hashes inside (EdDSA).
 *
 * @throws {RangeError} naming what is wrong.
 */
export function checkDigestLength(
  algorithm: Algorithm,
  digest: Uint8Array,
  action: "sign" | "verify",
): void {
  if (algorithm.hash === "none") {
    throw new RangeError(`Cannot ${action} a precomputed digest with ${algorithm.name}`);
  }
  const expectedLength = algorithm.hash === "sha256" ? 32 : algorithm.hash === "sha384" ? 48 : 64;
  if (digest.length !== expectedLength) {
    throw new RangeError(
      `Cannot ${action} a precomputed digest: ${algorithm.name} needs ${expectedLength} bytes, got ${digest.length}`,
    );
  }
}

/**
 * Verifies `signature` (raw form) over the precomputed `digest` with the SPKI key.
 *
 * @throws {RangeError} when the algorithm cannot verify a precomputed digest (EdDSA, or an
 * unsupported curve).
 */
export function verifyDigest(
  algorithm: Algorithm,
  spkiDer: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkPrecomputedDigest(algorithm, digest);
  const { family, saltLength, namedCurve } = algorithm.verify;
  if (family === "ecdsa") return verifyEcdsa(CURVES[namedCurve!], spkiDer, digest, signature);
  const decoded = rsaEncodedMessage(spkiDer, signature);
  if (!decoded) return false;
  if (family === "rsa_pss") {
    return verifyPss(
      algorithm.hash,
      digest,
      decoded.em,
      decoded.modBits,
      saltLength ?? digest.length,
    );
  }
  const t = digestInfo(algorithm.hash, digest);
  const k = decoded.em.length;
  if (k < t.length + 11) return false;
  const expected = new Uint8Array(k).fill(0xff);
  expected[0] = 0;
  expected[1] = 1;
  expected[k - t.length - 1] = 0;
  expected.set(t, k - t.length);
  return equalBytes(expected, decoded.em);
}
