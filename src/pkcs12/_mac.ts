/**
 * The integrity check of a password-protected PFX: HMAC with a key from the PKCS#12 KDF
 * (RFC 7292 appendix B, SHA-1 to SHA-512), or PBMAC1 (RFC 9579: PBKDF2 and HMAC).
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { MacData } from "@peculiar/asn1-pfx";
import { bytesOf, parseAs, Pbmac1Params } from "./_asn1.ts";
import { PKCS12_KDF_WEIGHT, type WorkBudget } from "./_budget.ts";
import { pbkdf2 } from "./_decrypt.ts";
import { unsupported, wrongPassword } from "./_errors.ts";
import { DIGESTS, type HashInfo, HMACS } from "./_hashes.ts";
import { KDF_ID, pkcs12Kdf } from "./_kdf.ts";
import type { PasswordBytes } from "./_password.ts";

const PBMAC1 = "1.2.840.113549.1.5.14";

function matches(hash: HashInfo, key: Uint8Array, data: Uint8Array, expected: Uint8Array): boolean {
  try {
    const mac = createHmac(hash.name, key).update(data).digest();
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  } finally {
    key.fill(0);
  }
}

/**
 * Checks the MAC over the AuthenticatedSafe bytes. For the PKCS#12 KDF, narrows
 * `password.bmp` to the form that verified (an empty password has two), zeroing the other.
 *
 * @throws {Pkcs11exError} `p12_password_incorrect` when no form verifies,
 *   `p12_unsupported_kdf` for an unknown digest or KDF.
 */
export async function verifyMac(
  macData: MacData,
  authSafe: Uint8Array,
  password: PasswordBytes,
  budget: WorkBudget,
): Promise<void> {
  const alg = macData.mac.digestAlgorithm;
  const expected = bytesOf(macData.mac.digest);
  if (alg.algorithm === PBMAC1) {
    const params = parseAs(alg.parameters, Pbmac1Params, "the PBMAC1 parameters");
    const hash = HMACS[params.messageAuthScheme.algorithm];
    if (!hash) throw unsupported(params.messageAuthScheme.algorithm);
    const key = await pbkdf2(params.keyDerivationFunc, password, budget);
    if (!matches(hash, key, authSafe, expected)) throw wrongPassword("verify the bundle's MAC");
    return;
  }
  const hash = DIGESTS[alg.algorithm];
  if (!hash) throw unsupported(alg.algorithm);
  const salt = bytesOf(macData.macSalt);
  for (const bmp of password.bmp) {
    const iterations = budget.charge(macData.iterations, PKCS12_KDF_WEIGHT);
    const key = pkcs12Kdf(hash, bmp, salt, KDF_ID.mac, iterations, hash.u);
    if (matches(hash, key, authSafe, expected)) {
      for (const other of password.bmp) if (other !== bmp) other.fill(0);
      password.bmp = [bmp];
      return;
    }
  }
  throw wrongPassword("verify the bundle's MAC");
}
