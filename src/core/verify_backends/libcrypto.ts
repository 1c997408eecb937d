/**
 * A {@linkcode VerifyBackend} over OpenSSL 3's libcrypto, bound through our own FFI layer
 * (`src/ffi/libcrypto.ts`): the fastest honest verifier on runtimes whose WebCrypto RSA is
 * slow. Falls back to another backend (WebCrypto by default) when libcrypto cannot be
 * loaded, for families it is not asked to do, for caller-supplied `CryptoKey`s (whose WebCrypto usage rules then apply), and for
 * precomputed digests of the wrong length (the fallback raises the canonical error).
 *
 * @module
 */
import {
  type LibcryptoVerifier,
  type LibcryptoVerifyInput,
  openLibcrypto,
} from "../../ffi/libcrypto.ts";
import { ecdsaRawToDer } from "../algorithms/ecdsa_encoding.ts";
import { createWebCryptoBackend } from "../_verify_webcrypto.ts";
import type { VerifySpec } from "../algorithms/types.ts";
import type { VerifyBackend, VerifyRequest } from "../verify_bytes.ts";

/** Options of {@linkcode createLibcryptoBackend}. */
export interface LibcryptoBackendOptions {
  /** Where the work goes when libcrypto cannot (default: a WebCrypto backend). */
  fallback?: VerifyBackend;
  /** The most parsed public keys kept (default 256). */
  maxKeys?: number;
  /** The library names to try, in order (default: OpenSSL 3 on Linux, macOS, Windows). */
  libraryNames?: readonly string[];
  /**
   * The families libcrypto verifies; others go to the fallback. Default: RSA and ECDSA,
   * where libcrypto measured fastest on Deno and Bun (bench/README.md); Ed25519 is faster
   * in WebCrypto on both.
   */
  families?: readonly VerifySpec["family"][];
}

const DEFAULT_FAMILIES: readonly VerifySpec["family"][] = ["rsa_pkcs1", "rsa_pss", "ecdsa"];

const DIGEST_LENGTH: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * The plain libcrypto input of a request, or `undefined` when the request is not libcrypto's
 * to do (a caller's `CryptoKey`, a family outside `families`, a digest of the wrong length).
 */
export function libcryptoInputOf(
  req: VerifyRequest,
  families: readonly VerifySpec["family"][] = DEFAULT_FAMILIES,
): LibcryptoVerifyInput | undefined {
  const { algorithm, precomputedDigest, data } = req;
  if (
    req.cryptoKey !== undefined || !families.includes(algorithm.verify.family) ||
    (precomputedDigest && data.length !== DIGEST_LENGTH[algorithm.hash])
  ) return undefined;
  const { family, saltLength } = algorithm.verify;
  return {
    keyId: req.spkiSha256Hex,
    spkiDer: req.spkiDer,
    scheme: family as LibcryptoVerifyInput["scheme"],
    hash: algorithm.hash,
    saltLength,
    data,
    signature: family === "ecdsa"
      ? ecdsaRawToDer(req.signature, req.signature.length / 2)
      : req.signature,
    precomputedDigest,
  };
}

/** A verify backend over libcrypto with a fallback; libcrypto is opened on first use. */
export function createLibcryptoBackend(options: LibcryptoBackendOptions = {}): VerifyBackend {
  const fallback = options.fallback ?? createWebCryptoBackend(options.maxKeys);
  const families = options.families ?? DEFAULT_FAMILIES;
  let opened: Promise<LibcryptoVerifier | null> | undefined;

  return {
    async verify(req: VerifyRequest): Promise<boolean> {
      const input = libcryptoInputOf(req, families);
      if (input === undefined) return fallback.verify(req);
      opened ??= openLibcrypto(options.libraryNames, options.maxKeys);
      const libcrypto = await opened;
      if (libcrypto === null) return fallback.verify(req);
      return libcrypto.verify(input);
    },
  };
}
