/** The three ways a bundle is refused, as `Pkcs11exError`s. @module */
import { Pkcs11exError } from "../core/errors.ts";

/** A `p12_invalid` error naming what could not be read and a stable `detail.kind`. */
export function invalid(what: string, kind: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("p12_invalid", `Cannot read the PKCS#12 bundle: ${what}`, {
    detail: { kind },
    cause,
  });
}

/** A `p12_unsupported_kdf` error naming the OID of the algorithm. */
export function unsupported(oid: string): Pkcs11exError {
  return new Pkcs11exError(
    "p12_unsupported_kdf",
    `Cannot read the PKCS#12 bundle: algorithm ${oid} is not supported`,
    { detail: { oid } },
  );
}

/** A `p12_password_incorrect` error (a wrong password and a corrupted bundle look alike). */
export function wrongPassword(what: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError(
    "p12_password_incorrect",
    `Cannot ${what}: the password is incorrect or the bundle is corrupted`,
    { cause },
  );
}
