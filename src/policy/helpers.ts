/**
 * Composable helpers for custom trust policies (api §2.3 Helpers) so nobody re-implements
 * RFC 5280. They do not enforce an allowlist: a custom policy MUST still have one.
 *
 * @module
 */
import { algCompatible } from "../core/algorithms/registry.ts";
import type { X509Certificate } from "../core/x509.ts";
import {
  ANY_EKU,
  basicConstraintsOk,
  ekuIncludes,
  keyUsageIncludes,
} from "./helpers/constraints.ts";
import { crlCovers, crlHasSerial, type VerifiedCrl, verifyCrl } from "./helpers/crl.ts";
import { type OcspVerifyOptions, verifyOcspResponse } from "./helpers/ocsp.ts";
import { pathValidate, type PathValidateOptions } from "./helpers/path_validate.ts";
import { assertValidity, validityNow, type ValidityOptions } from "./helpers/validity.ts";
import { isSignedBy } from "./helpers/signed_by.ts";

export type { OcspVerifyOptions, PathValidateOptions, ValidityOptions, VerifiedCrl };
export {
  algCompatible,
  ANY_EKU,
  assertValidity,
  basicConstraintsOk,
  crlCovers,
  crlHasSerial,
  ekuIncludes,
  isSignedBy,
  keyUsageIncludes,
  pathValidate,
  validityNow,
  verifyCrl,
  verifyOcspResponse,
};

/** The SHA-256 of the certificate's SubjectPublicKeyInfo, lowercase hex (a PinnedRegistry pin). */
export function spkiSha256(cert: X509Certificate): string {
  return cert.spkiSha256Hex;
}

/** The helpers as one object: `import { helpers } from "@pkcs11ex/pkcs11ex/policy"`. */
export const helpers: Readonly<{
  spkiSha256: typeof spkiSha256;
  validityNow: typeof validityNow;
  assertValidity: typeof assertValidity;
  algCompatible: typeof algCompatible;
  pathValidate: typeof pathValidate;
  basicConstraintsOk: typeof basicConstraintsOk;
  keyUsageIncludes: typeof keyUsageIncludes;
  ekuIncludes: typeof ekuIncludes;
  isSignedBy: typeof isSignedBy;
  verifyCrl: typeof verifyCrl;
  crlCovers: typeof crlCovers;
  crlHasSerial: typeof crlHasSerial;
  verifyOcspResponse: typeof verifyOcspResponse;
}> = Object.freeze({
  spkiSha256,
  validityNow,
  assertValidity,
  algCompatible,
  pathValidate,
  basicConstraintsOk,
  keyUsageIncludes,
  ekuIncludes,
  isSignedBy,
  verifyCrl,
  crlCovers,
  crlHasSerial,
  verifyOcspResponse,
});
