/**
 * The validity window check of api §2.3.3: `notBefore - skew ≤ time ≤ notAfter + skew`.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";

/** When and how strictly to check validity. */
export interface ValidityOptions {
  /** The time to check at (default now). */
  validationTime?: Date;
  /** Allowed clock skew in ms (default 30 000; negative is a RangeError). */
  maxClockSkew?: number;
}

/** The default `maxClockSkew`: 30 s. */
export const DEFAULT_MAX_CLOCK_SKEW = 30_000;

/** Checks and fills in validity options; throws RangeError / TypeError on bad values. */
export function resolveValidityOptions(opts: ValidityOptions = {}): Required<ValidityOptions> {
  const skew = opts.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW;
  if (typeof skew !== "number" || !Number.isFinite(skew) || skew < 0) {
    throw new RangeError(`maxClockSkew must be a non-negative number of ms, got ${skew}`);
  }
  const time = opts.validationTime ?? new Date();
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) {
    throw new TypeError("validationTime must be a valid Date");
  }
  return { validationTime: time, maxClockSkew: skew };
}

/** Whether `cert` is valid at the validation time (api Helpers.validity_now). */
export function validityNow(
  cert: X509Certificate,
  opts: ValidityOptions = {},
): "ok" | "expired" | "not_yet_valid" {
  const { validationTime, maxClockSkew } = resolveValidityOptions(opts);
  const t = validationTime.getTime();
  if (t < cert.notBefore.getTime() - maxClockSkew) return "not_yet_valid";
  if (t > cert.notAfter.getTime() + maxClockSkew) return "expired";
  return "ok";
}

/** Throws `cert_expired` / `cert_not_yet_valid` for the first cert outside its window. */
export function assertValidity(
  certs: readonly X509Certificate[],
  opts: ValidityOptions = {},
): void {
  for (const cert of certs) {
    const state = validityNow(cert, opts);
    if (state === "ok") continue;
    const reason = state === "expired" ? "cert_expired" : "cert_not_yet_valid";
    throw new Pkcs11exError(
      reason,
      `Cannot trust "${cert.subject}": certificate ${state.replaceAll("_", " ")}`,
      {
        detail: {
          subject: cert.subject,
          notBefore: cert.notBefore.toISOString(),
          notAfter: cert.notAfter.toISOString(),
        },
      },
    );
  }
}
