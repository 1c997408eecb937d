/**
 * Public keys that must not be trusted to verify anything, whatever certificate carries them:
 * RSA keys whose exponent makes every signature forgeable (e = 1, even e) or whose numbers
 * make no RSA key (an even modulus, e ≥ n), RSA keys too large to verify in bounded time, and
 * Ed25519 keys of small order (a signature with R = identity and S = 0 verifies for every
 * message) or not canonically encoded.
 *
 * @module
 */
import { bytesToBigInt, mod as modulo, modPow } from "../_bigint.ts";
import { Pkcs11exError } from "../errors.ts";
import { createParseCache } from "./cache.ts";
import { magnitudeBits, rsaPublicNumbers } from "./public_key.ts";

/** Largest RSA modulus verified, in bits (OpenSSL's limit too). */
const MAX_RSA_BITS = 16384;
/** Above this modulus size the public exponent may have at most 64 bits (as in OpenSSL). */
const LARGE_RSA_BITS = 3072;

const P = 2n ** 255n - 19n;
const mod = (a: bigint) => modulo(a, P);
const pow = (base: bigint, exp: bigint) => modPow(mod(base), exp, P);

const D = mod(-121665n * pow(121666n, P - 2n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** Why an Ed25519 public key (32 bytes) must not be used, or `undefined`. */
function ed25519Problem(key: Uint8Array): string | undefined {
  if (key.length !== 32) return "an Ed25519 key is 32 bytes";
  const le = Uint8Array.from(key).reverse();
  const sign = le[0] >> 7;
  le[0] &= 0x7f;
  const y = bytesToBigInt(le);
  if (y >= P) return "the Ed25519 key is not canonically encoded";
  // x² = (y² − 1) / (d·y² + 1), by the square root of RFC 8032 §5.1.3.
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return "the Ed25519 key is not a point on the curve";
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1) return "the Ed25519 key is not canonically encoded";
  if (Number(x & 1n) !== sign) x = P - x;
  // [8]P by three doublings in extended coordinates (a = −1); small order ⇔ the identity.
  let [X, Y, Z] = [x, y, 1n];
  for (let i = 0; i < 3; i++) {
    const a = mod(X * X), b = mod(Y * Y), c = mod(2n * Z * Z);
    const e = mod((X + Y) * (X + Y) - a - b), g = mod(b - a), f = mod(g - c), h = mod(-a - b);
    [X, Y, Z] = [mod(e * f), mod(g * h), mod(f * g)];
  }
  return X === 0n && Y === Z ? "the Ed25519 key has small order" : undefined;
}

/** Why an RSA public key must not be used, or `undefined`. */
function rsaProblem(spkiDer: Uint8Array): string | undefined {
  const numbers = rsaPublicNumbers(spkiDer);
  const bits = magnitudeBits(numbers.n);
  if (bits > MAX_RSA_BITS) return `the RSA modulus exceeds ${MAX_RSA_BITS} bits`;
  if (bits > LARGE_RSA_BITS && magnitudeBits(numbers.e) > 64) {
    return "the RSA public exponent is too large for the modulus";
  }
  const n = bytesToBigInt(numbers.n);
  const e = bytesToBigInt(numbers.e);
  if ((n & 1n) === 0n) return "the RSA modulus is even";
  if (e < 3n || (e & 1n) === 0n || e >= n) {
    return "the RSA public exponent is not an odd number from 3 below the modulus";
  }
  return undefined;
}

/** Verdicts by SPKI SHA-256 ("" for a usable key): a verifier sees the same keys again. */
const verdicts = createParseCache<string>({ maxEntries: 1024, maxKeyLength: 64 });

/**
 * Refuses a key that must not verify signatures (see the module doc).
 *
 * @param keyType The key type `describePublicKey` found.
 * @param spkiSha256Hex The SHA-256 of `spkiDer`, which keys the verdict cache.
 * @throws {Pkcs11exError} `incompatible_alg` with `detail.kind` `weak_key` and the problem.
 */
export function assertUsableKey(
  spkiDer: Uint8Array,
  keyType: string,
  spkiSha256Hex: string,
  alg: string,
): void {
  let problem = verdicts.get(spkiSha256Hex);
  if (problem === undefined) {
    problem = (keyType === "rsa"
      ? rsaProblem(spkiDer)
      : keyType === "ed25519"
      ? ed25519Problem(ed25519Bytes(spkiDer))
      : undefined) ?? "";
    verdicts.set(spkiSha256Hex, problem);
  }
  if (problem !== "") {
    throw new Pkcs11exError("incompatible_alg", `Cannot verify ${alg}: ${problem}`, {
      detail: { alg, keyType, kind: "weak_key", problem },
    });
  }
}

/** The 32 key bytes at the end of an Ed25519 SPKI (a fixed 12-byte prefix). */
function ed25519Bytes(spkiDer: Uint8Array): Uint8Array {
  return spkiDer.length === 44 ? spkiDer.subarray(12) : new Uint8Array(0);
}
