/**
 * The default verify backend: WebCrypto (`crypto.subtle`, in Deno and Bun alike) with
 * imported keys cached by SPKI SHA-256 in a bounded LRU, and the portable raw verifiers
 * for precomputed digests.
 *
 * @module
 */
import type { Algorithm } from "./algorithms/types.ts";
import { verifyDigest } from "./_verify_digest.ts";
import type { VerifyBackend, VerifyRequest } from "./verify_bytes.ts";

const HASH_NAMES: Record<string, string> = {
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

function importParams(alg: Algorithm): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  const hash = HASH_NAMES[alg.hash];
  switch (alg.verify.family) {
    case "rsa_pss":
      return { name: "RSA-PSS", hash };
    case "rsa_pkcs1":
      return { name: "RSASSA-PKCS1-v1_5", hash };
    case "ecdsa":
      return { name: "ECDSA", namedCurve: alg.verify.namedCurve ?? "P-256" };
    case "eddsa":
      return { name: alg.verify.namedCurve ?? "Ed25519" } as unknown as Algorithm;
  }
}

function verifyParams(alg: Algorithm): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (alg.verify.family) {
    case "rsa_pss":
      return { name: "RSA-PSS", saltLength: alg.verify.saltLength ?? 32 };
    case "rsa_pkcs1":
      return { name: "RSASSA-PKCS1-v1_5" };
    case "ecdsa":
      return { name: "ECDSA", hash: HASH_NAMES[alg.hash] };
    case "eddsa":
      return { name: alg.verify.namedCurve ?? "Ed25519" };
  }
}

/** A WebCrypto backend whose key cache holds at most `maxKeys` imported keys. */
export function createWebCryptoBackend(maxKeys = 256): VerifyBackend {
  const cache = new Map<string, Promise<CryptoKey>>();

  function importKey(req: VerifyRequest): Promise<CryptoKey> {
    const params = importParams(req.algorithm);
    const id = `${req.spkiSha256Hex}|${JSON.stringify(params)}`;
    const hit = cache.get(id);
    if (hit) {
      cache.delete(id);
      cache.set(id, hit);
      return hit;
    }
    const pending = crypto.subtle.importKey(
      "spki",
      req.spkiDer as BufferSource,
      params as never,
      false,
      ["verify"],
    );
    pending.catch(() => cache.delete(id));
    cache.set(id, pending);
    if (cache.size > maxKeys) cache.delete(cache.keys().next().value!);
    return pending;
  }

  return {
    async verify(req: VerifyRequest): Promise<boolean> {
      if (req.precomputedDigest) {
        return verifyDigest(req.algorithm, req.spkiDer, req.data, req.signature);
      }
      const key = req.cryptoKey ?? await importKey(req);
      return await crypto.subtle.verify(
        verifyParams(req.algorithm) as never,
        key,
        req.signature as BufferSource,
        req.data as BufferSource,
      );
    },
  };
}
