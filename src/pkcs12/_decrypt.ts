/**
 * Password-based decryption of PKCS#12 shrouded keys and encrypted SafeContents: PBES2
 * (PBKDF2 with AES-CBC or DES-EDE3-CBC, as modern OpenSSL and Java write) and the PKCS#12
 * `pbeWithSHAAnd…` schemes (3DES, 2-key 3DES, RC2-40, RC2-128, as Windows and
 * `openssl -legacy` write). Derived keys are zeroed after use.
 *
 * @module
 */
import { pbkdf2 as nodePbkdf2 } from "node:crypto";
import { OctetString } from "@peculiar/asn1-schema";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { bytesOf, parseAs, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams } from "./_asn1.ts";
import { PKCS12_KDF_WEIGHT, type WorkBudget } from "./_budget.ts";
import { type CbcCipher, cbcDecrypt } from "./_cbc.ts";
import { invalid, unsupported, wrongPassword } from "./_errors.ts";
import { DEFAULT_PRF, DIGESTS, HMACS } from "./_hashes.ts";
import { KDF_ID, pkcs12Kdf } from "./_kdf.ts";
import type { PasswordBytes } from "./_password.ts";

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const SHA1 = DIGESTS["1.3.14.3.2.26"];

/** PBES2 ciphers: OID → kind and key length. */
const PBES2_CIPHERS: Record<string, { kind: "aes" | "des-ede3"; keyLength: number }> = {
  "2.16.840.1.101.3.4.1.2": { kind: "aes", keyLength: 16 },
  "2.16.840.1.101.3.4.1.22": { kind: "aes", keyLength: 24 },
  "2.16.840.1.101.3.4.1.42": { kind: "aes", keyLength: 32 },
  "1.2.840.113549.3.7": { kind: "des-ede3", keyLength: 24 },
};

/** PKCS#12 PBE schemes (RFC 7292 appendix C): OID → cipher, key and IV lengths. */
const PKCS12_PBES: Record<
  string,
  { kind: "des-ede3" | "rc2"; keyLength: number; ivLength: number; effectiveBits?: number }
> = {
  "1.2.840.113549.1.12.1.3": { kind: "des-ede3", keyLength: 24, ivLength: 8 },
  "1.2.840.113549.1.12.1.4": { kind: "des-ede3", keyLength: 16, ivLength: 8 },
  "1.2.840.113549.1.12.1.5": { kind: "rc2", keyLength: 16, ivLength: 8, effectiveBits: 128 },
  "1.2.840.113549.1.12.1.6": { kind: "rc2", keyLength: 5, ivLength: 8, effectiveBits: 40 },
};

/** Builds the node/WebCrypto cipher description, expanding 2-key 3DES to K1‖K2‖K1. */
function makeCipher(
  kind: "aes" | "des-ede3" | "rc2",
  key: Uint8Array,
  effectiveBits = 0,
): CbcCipher {
  if (kind === "rc2") return { kind, key, effectiveBits };
  if (kind === "des-ede3" && key.length === 16) {
    const full = new Uint8Array(24);
    full.set(key);
    full.set(key.subarray(0, 8), 16);
    return { kind, key: full };
  }
  return { kind, key };
}

/**
 * Runs PBKDF2 as its parameters say, off the event loop (node's thread pool), so a large
 * iteration count delays only this load.
 *
 * @param keyLength The key length the cipher or MAC needs, when the parameters omit it.
 */
export async function pbkdf2(
  kdf: AlgorithmIdentifier,
  password: PasswordBytes,
  budget: WorkBudget,
  keyLength?: number,
): Promise<Uint8Array> {
  if (kdf.algorithm !== PBKDF2) throw unsupported(kdf.algorithm);
  const params = parseAs(kdf.parameters, Pbkdf2Params, "the PBKDF2 parameters");
  const prf = params.prf ? HMACS[params.prf.algorithm] : DEFAULT_PRF;
  if (!prf) throw unsupported(params.prf!.algorithm);
  const stated = params.keyLength === undefined ? undefined : Number(params.keyLength);
  const length = stated ?? keyLength;
  if (length === undefined || !Number.isSafeInteger(length) || length < 1 || length > 64) {
    throw invalid("the PBKDF2 key length is missing or out of range", "bad_key_length");
  }
  if (keyLength !== undefined && length !== keyLength) {
    throw invalid("the PBKDF2 key length does not fit the cipher", "bad_key_length");
  }
  const iterations = budget.charge(params.iterationCount, Math.ceil(length / prf.u));
  const derived = await new Promise<Uint8Array>((resolve, reject) =>
    nodePbkdf2(
      password.utf8,
      bytesOf(params.salt),
      iterations,
      length,
      prf.name,
      (err, key) => (err ? reject(err) : resolve(key)),
    )
  );
  const key = new Uint8Array(derived); // a copy (Buffer#slice would share the bytes)
  derived.fill(0);
  return key;
}

async function decryptPbes2(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  password: PasswordBytes,
  budget: WorkBudget,
): Promise<Uint8Array | undefined> {
  const params = parseAs(alg.parameters, Pbes2Params, "the PBES2 parameters");
  const scheme = PBES2_CIPHERS[params.encryptionScheme.algorithm];
  if (!scheme) throw unsupported(params.encryptionScheme.algorithm);
  const iv = bytesOf(parseAs(params.encryptionScheme.parameters, OctetString, "the cipher IV"));
  const key = await pbkdf2(params.keyDerivationFunc, password, budget, scheme.keyLength);
  try {
    return await cbcDecrypt(makeCipher(scheme.kind, key), iv, data);
  } finally {
    key.fill(0);
  }
}

async function decryptPkcs12Pbe(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  password: PasswordBytes,
  budget: WorkBudget,
): Promise<Uint8Array | undefined> {
  const scheme = PKCS12_PBES[alg.algorithm];
  const params = parseAs(alg.parameters, Pkcs12PbeParams, "the PKCS#12 PBE parameters");
  const salt = bytesOf(params.salt);
  for (const bmp of password.bmp) {
    const rounds = Math.ceil(scheme.keyLength / SHA1.u) + Math.ceil(scheme.ivLength / SHA1.u);
    const iterations = budget.charge(params.iterations, rounds * PKCS12_KDF_WEIGHT);
    const key = pkcs12Kdf(SHA1, bmp, salt, KDF_ID.key, iterations, scheme.keyLength);
    const iv = pkcs12Kdf(SHA1, bmp, salt, KDF_ID.iv, iterations, scheme.ivLength);
    const cipher = makeCipher(scheme.kind, key, scheme.effectiveBits);
    try {
      const plain = await cbcDecrypt(cipher, iv, data);
      if (plain) return plain;
    } finally {
      key.fill(0);
      iv.fill(0);
      cipher.key.fill(0);
    }
  }
  return undefined;
}

/**
 * Decrypts `data` encrypted with the password-based scheme `alg`.
 *
 * @throws {Pkcs11exError} `p12_password_incorrect` when the padding is wrong,
 *   `p12_unsupported_kdf` for an unknown scheme, `p12_invalid` for bad parameters.
 */
export async function decrypt(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  password: PasswordBytes,
  budget: WorkBudget,
): Promise<Uint8Array> {
  let plain: Uint8Array | undefined;
  if (alg.algorithm === PBES2) plain = await decryptPbes2(alg, data, password, budget);
  else if (PKCS12_PBES[alg.algorithm]) plain = await decryptPkcs12Pbe(alg, data, password, budget);
  else throw unsupported(alg.algorithm);
  if (!plain) throw wrongPassword("decrypt the PKCS#12 bundle");
  return plain;
}
