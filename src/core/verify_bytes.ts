/**
 * Software signature verification (api §3.1 `verifyBytes`): RS256, PS256, ES256, EdDSA and
 * registered custom algorithms: OpenSSL's libcrypto through the FFI where it is available
 * (falling back to WebCrypto), WebCrypto otherwise. Verification never needs a token.
 *
 * @module
 */
import { assertUsableKey } from "./x509/weak_keys.ts";
import { checkPrecomputedDigest } from "./_verify_digest.ts";
import { createHash } from "node:crypto";
import { algCompatible, createAlgorithmRegistry } from "./algorithms/registry.ts";
import type { Algorithm, AlgorithmRegistry } from "./algorithms/types.ts";
import { Pkcs11exError } from "./errors.ts";
import type { EncodingContext } from "./signer.ts";
import type { X509Certificate } from "./x509.ts";
import { describePublicKey, type PublicKeyInfo } from "./x509/public_key.ts";
import { createLibcryptoBackend } from "./verify_backends/libcrypto.ts";

/** A public key: a certificate, SPKI DER, or a WebCrypto public key. */
export type VerifyKey = X509Certificate | Uint8Array | CryptoKey;

/** One verification handed to a {@linkcode VerifyBackend}; the signature is in raw form. */
export interface VerifyRequest {
  /** The algorithm. */
  algorithm: Algorithm;
  /** The SubjectPublicKeyInfo DER. */
  spkiDer: Uint8Array;
  /** SHA-256 of `spkiDer`, hex (the cache key). */
  spkiSha256Hex: string;
  /** The caller's CryptoKey, when it gave one. */
  cryptoKey?: CryptoKey;
  /** The signed bytes, or their digest when `precomputedDigest`. */
  data: Uint8Array;
  /** The signature, decoded to the algorithm's raw form (r‖s for ECDSA). */
  signature: Uint8Array;
  /** Whether `data` is already the digest. */
  precomputedDigest: boolean;
}

/** Where the public-key math runs; a faster backend per runtime can be plugged in. */
export interface VerifyBackend {
  /** Resolves true when the signature is valid, false when it is not. */
  verify(req: VerifyRequest): Promise<boolean>;
}

/** Options of {@linkcode verifyBytes}. */
export interface VerifyBytesOptions {
  /** The algorithm (default: inferred from the key: RSA → PS256, P-256 → ES256, Ed25519 → EdDSA). */
  alg?: string;
  /** The signature's encoding (default `der`); only ECDSA differs between contexts. */
  encodingContext?: EncodingContext;
  /** `data` is the digest already (not for EdDSA). */
  precomputedDigest?: boolean;
  /** The registry to look `alg` up in (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
  /** The backend (default: libcrypto via FFI for RSA/ECDSA when available, else WebCrypto). */
  backend?: VerifyBackend;
}

const DEFAULT_REGISTRY = createAlgorithmRegistry();
const DEFAULT_BACKEND = createLibcryptoBackend();
const DEFAULT_ALG: Record<string, string> = { rsa: "PS256", ec: "ES256", ed25519: "EdDSA" };
const exportedSpki = new WeakMap<CryptoKey, Uint8Array>();

interface ResolvedKey {
  spkiDer: Uint8Array;
  spkiSha256Hex: string;
  facts: Pick<PublicKeyInfo, "keyType" | "keySize" | "curve">;
  cryptoKey?: CryptoKey;
}

async function resolveKey(key: VerifyKey): Promise<ResolvedKey> {
  if (key instanceof Uint8Array) {
    let facts: ResolvedKey["facts"];
    try {
      facts = describePublicKey(key);
    } catch (cause) {
      throw invalid(
        "Cannot verify: the key is not a SubjectPublicKeyInfo this library reads",
        cause,
      );
    }
    return { spkiDer: key, spkiSha256Hex: createHash("sha256").update(key).digest("hex"), facts };
  }
  if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) {
    let spki = exportedSpki.get(key);
    if (!spki) {
      spki = new Uint8Array(await crypto.subtle.exportKey("spki", key));
      exportedSpki.set(key, spki);
    }
    return { ...await resolveKey(spki), cryptoKey: key };
  }
  if (key && typeof key === "object" && (key as X509Certificate).spkiDer instanceof Uint8Array) {
    const cert = key as X509Certificate;
    return { spkiDer: cert.spkiDer, spkiSha256Hex: cert.spkiSha256Hex, facts: cert };
  }
  throw new TypeError(
    "Cannot verify: the key must be an X509Certificate, SPKI bytes or a CryptoKey",
  );
}

function invalid(message: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("signature_invalid", message, { cause });
}

/**
 * Verifies `signature` over `data` with `key`; resolves when valid.
 *
 * @throws {Pkcs11exError} `signature_invalid` when the math fails, the signature is malformed or
 * the key unreadable; `unsupported_alg` for an unknown alg; `incompatible_alg` when the key cannot
 * make that alg (PS256 with an EC key).
 * @throws {TypeError} / {RangeError} on bad arguments.
 *
 * @example
 * ```ts ignore
 * await verifyBytes(data, sig, cert, { alg: "PS256" });
 * ```
 */
export async function verifyBytes(
  data: Uint8Array | string,
  signature: Uint8Array,
  key: VerifyKey,
  opts: VerifyBytesOptions = {},
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("Cannot verify: data must be bytes or a string");
  }
  if (!(signature instanceof Uint8Array)) {
    throw new TypeError("Cannot verify: signature must be bytes");
  }
  const resolved = await resolveKey(key);
  const name = opts.alg ?? DEFAULT_ALG[resolved.facts.keyType];
  const algorithm = name === undefined || name === "none"
    ? undefined
    : (opts.algorithms ?? DEFAULT_REGISTRY).get(name);
  if (!algorithm) {
    throw new Pkcs11exError("unsupported_alg", `Cannot verify with unknown algorithm "${name}"`);
  }
  if (!algCompatible(algorithm, resolved.facts)) {
    throw new Pkcs11exError(
      "incompatible_alg",
      `Cannot verify ${algorithm.name} with a ${resolved.facts.keyType} key`,
      { detail: { alg: algorithm.name, keyType: resolved.facts.keyType } },
    );
  }
  assertUsableKey(resolved.spkiDer, resolved.facts.keyType, resolved.spkiSha256Hex, algorithm.name);
  if (opts.precomputedDigest === true) checkPrecomputedDigest(algorithm, bytes);
  const raw = algorithm.decodeSignature(signature, opts.encodingContext ?? "der");
  let ok: boolean;
  try {
    ok = await (opts.backend ?? DEFAULT_BACKEND).verify({
      algorithm,
      spkiDer: resolved.spkiDer,
      spkiSha256Hex: resolved.spkiSha256Hex,
      cryptoKey: resolved.cryptoKey,
      data: bytes,
      signature: raw,
      precomputedDigest: opts.precomputedDigest === true,
    });
  } catch (err) {
    // The arguments were checked above: whatever a backend throws (WebCrypto refusing a point
    // off the curve with a TypeError, say) is about this key or signature.
    if (err instanceof Pkcs11exError) throw err;
    throw invalid(`Cannot verify the ${algorithm.name} signature: the key was refused`, err);
  }
  if (!ok) throw invalid(`Cannot verify the ${algorithm.name} signature: it does not match`);
}
