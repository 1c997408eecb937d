/**
 * Revocation checking for CASignedAllowlist (api §2.3.4): for every cert of the path but
 * the anchor, ask `ocspCheck` and/or `crlFetcher`; `revoked` → `cert_revoked`, a callback
 * that throws → `ocsp_unavailable` / `crl_unavailable`, `unknown` → `revocation_unknown`
 * unless `revocationUnknownPolicy` is `allow`.
 *
 * @module
 */
import { Pkcs11exError } from "../core/errors.ts";
import type { X509Certificate } from "../core/x509.ts";
import { crlCovers, crlHasSerial, verifyCrl } from "./helpers/crl.ts";
import type { PolicyContext } from "./types.ts";

/** `ocspCheck(cert, chainFromIssuer, ctx)`: the status of `cert`. */
export type OcspCheck = (
  cert: X509Certificate,
  chain: readonly X509Certificate[],
  ctx: PolicyContext,
) => Promise<"good" | "revoked" | "unknown"> | "good" | "revoked" | "unknown";

/** `crlFetcher({ issuer, cert }, ctx)`: DER CRLs of `issuer` (checked by the library). */
export type CrlFetcher = (
  request: { issuer: X509Certificate; cert: X509Certificate },
  ctx: PolicyContext,
) => Promise<readonly Uint8Array[]> | readonly Uint8Array[];

/** The revocation settings of a policy. */
export interface RevocationOptions {
  ocspCheck?: OcspCheck;
  crlFetcher?: CrlFetcher;
  revocationUnknownPolicy: "abort" | "allow";
}

async function ocspStatus(
  check: OcspCheck,
  cert: X509Certificate,
  rest: X509Certificate[],
  ctx: PolicyContext,
) {
  let status: unknown;
  try {
    status = await check(cert, rest, ctx);
  } catch (err) {
    if (err instanceof Pkcs11exError && err.reason !== "ocsp_unavailable") throw err;
    throw new Pkcs11exError("ocsp_unavailable", "Cannot check revocation: ocspCheck failed", {
      cause: err,
    });
  }
  if (status !== "good" && status !== "revoked" && status !== "unknown") {
    throw new Pkcs11exError(
      "ocsp_unavailable",
      "Cannot check revocation: ocspCheck returned no status",
      {
        detail: { got: String(status) },
      },
    );
  }
  return status;
}

async function crlStatus(
  fetcher: CrlFetcher,
  cert: X509Certificate,
  issuer: X509Certificate,
  ctx: PolicyContext,
) {
  let crls: readonly Uint8Array[];
  try {
    crls = await fetcher({ issuer, cert }, ctx);
  } catch (err) {
    throw new Pkcs11exError("crl_unavailable", "Cannot check revocation: crlFetcher failed", {
      cause: err,
    });
  }
  if (!Array.isArray(crls) || crls.length === 0) {
    throw new Pkcs11exError(
      "crl_unavailable",
      `Cannot check revocation: no CRL for "${issuer.subject}"`,
    );
  }
  const now = ctx.validationTime.getTime();
  let covered = false;
  for (const der of crls) {
    const crl = await verifyCrl(der, issuer);
    // RFC 5280 §5.1.2.5: issuers MUST state nextUpdate; without it nothing says the CRL is
    // still current.
    if (!crl.nextUpdate || crl.nextUpdate.getTime() < now - ctx.maxClockSkew) {
      throw new Pkcs11exError("crl_unavailable", "Cannot check revocation: the CRL is stale", {
        detail: { kind: "stale" },
      });
    }
    if (crl.thisUpdate.getTime() > now + ctx.maxClockSkew) {
      throw new Pkcs11exError(
        "crl_unavailable",
        "Cannot check revocation: the CRL was issued after the validation time",
        { detail: { kind: "not_yet_valid" } },
      );
    }
    if (!crlCovers(crl, cert)) continue;
    covered = true;
    if (crlHasSerial(crl, cert)) return "revoked" as const;
  }
  if (!covered) {
    throw new Pkcs11exError(
      "crl_unavailable",
      `Cannot check revocation: no CRL covers "${cert.subject}"`,
      { detail: { kind: "not_covered" } },
    );
  }
  return "good" as const;
}

/** Checks every non-anchor cert of `path` (leaf first, anchor last). */
export async function checkRevocation(
  path: X509Certificate[],
  opts: RevocationOptions,
  ctx: PolicyContext,
): Promise<void> {
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i];
    let status = opts.ocspCheck
      ? await ocspStatus(opts.ocspCheck, cert, path.slice(i + 1), ctx)
      : undefined;
    if ((status === undefined || status === "unknown") && opts.crlFetcher) {
      status = await crlStatus(opts.crlFetcher, cert, path[i + 1], ctx);
    }
    if (status === undefined) return;
    if (status === "revoked") {
      throw new Pkcs11exError("cert_revoked", `Cannot trust "${cert.subject}": it is revoked`, {
        detail: { subject: cert.subject, serial: cert.serialNumber.hex },
      });
    }
    if (status === "unknown" && opts.revocationUnknownPolicy !== "allow") {
      throw new Pkcs11exError(
        "revocation_unknown",
        `Cannot trust "${cert.subject}": revocation status unknown`,
        {
          detail: { subject: cert.subject },
        },
      );
    }
  }
}
