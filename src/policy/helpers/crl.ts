/**
 * CRL helpers for `crlFetcher` writers and the CASignedAllowlist: verify a CRL's signature
 * against its issuer and look a serial number up.
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificateList, IssuingDistributionPoint } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { readChildren, readWhole, tlvBytes } from "../../core/x509/der.ts";
import { decodeName, dnToString, normalizeDn } from "../../core/x509/dn.ts";
import { distributionPointUris } from "../../core/x509/extensions.ts";
import { bytesToSignedBigInt } from "../../core/_bigint.ts";
import { keyUsageIncludes } from "./constraints.ts";
import { isSignedBy } from "./signed_by.ts";

/** A CRL whose signature was checked. */
export interface VerifiedCrl {
  /** The issuer DN (RFC 4514). */
  readonly issuer: string;
  /** When the CRL was issued. */
  readonly thisUpdate: Date;
  /** When the next CRL is due, if stated. */
  readonly nextUpdate?: Date;
  /** Revoked serial numbers. */
  readonly revokedSerials: ReadonlySet<bigint>;
  /**
   * What the CRL covers when its issuingDistributionPoint narrows it: only end-entity or only
   * CA certificates, and the distribution point URIs a covered certificate names.
   */
  readonly scope?: {
    readonly only?: "user" | "ca";
    readonly distributionPoints?: readonly string[];
  };
}

const DELTA_CRL_INDICATOR = "2.5.29.27";
const ISSUING_DISTRIBUTION_POINT = "2.5.29.28";

function unavailable(message: string, kind: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("crl_unavailable", message, { detail: { kind }, cause });
}

/**
 * Parses a DER CRL and checks that `issuer` signed it (name match, cRLSign, signature).
 *
 * @throws {Pkcs11exError} `crl_unavailable` when the CRL is malformed, from another issuer,
 * or its signature does not verify.
 */
export async function verifyCrl(crlDer: Uint8Array, issuer: X509Certificate): Promise<VerifiedCrl> {
  let crl: CertificateList;
  let tbs: Uint8Array;
  let issuerNormalized: string;
  try {
    const outer = readWhole(crlDer, 0x30);
    const tbsTlv = readChildren(crlDer, outer)[0];
    tbs = tlvBytes(crlDer, tbsTlv);
    const fields = readChildren(crlDer, tbsTlv);
    const issuerTlv = fields[fields[0]?.tag === 0x02 ? 2 : 1];
    crl = AsnConvert.parse(crlDer, CertificateList);
    issuerNormalized = dnToString(normalizeDn(decodeName(tlvBytes(crlDer, issuerTlv))));
  } catch (err) {
    throw unavailable("Cannot read the CRL: malformed DER", "malformed", err);
  }
  if (issuerNormalized !== issuer.subjectNormalized || !keyUsageIncludes(issuer, "crlSign")) {
    throw unavailable(`Cannot use the CRL: not issued by "${issuer.subject}"`, "wrong_issuer");
  }
  const sigAlg = {
    oid: crl.signatureAlgorithm.algorithm,
    params: crl.signatureAlgorithm.parameters
      ? new Uint8Array(crl.signatureAlgorithm.parameters)
      : undefined,
  };
  if (!await isSignedBy(tbs, sigAlg, new Uint8Array(crl.signature), issuer)) {
    throw unavailable("Cannot use the CRL: its signature does not verify", "bad_signature");
  }
  const t = crl.tbsCertList;
  let scope: VerifiedCrl["scope"];
  for (const ext of t.crlExtensions ?? []) {
    if (ext.extnID === DELTA_CRL_INDICATOR) {
      throw unavailable("Cannot use the CRL: it is a delta CRL, not a complete one", "delta_crl");
    }
    if (ext.extnID === ISSUING_DISTRIBUTION_POINT) scope = readScope(ext.extnValue.buffer);
    else if (ext.critical) {
      throw unavailable(
        `Cannot use the CRL: it has a critical extension this verifier does not process (${ext.extnID})`,
        "critical_extension",
      );
    }
  }
  const revoked = t.revokedCertificates ?? [];
  if (revoked.some((r) => r.crlEntryExtensions?.some((e) => e.critical))) {
    throw unavailable(
      "Cannot use the CRL: an entry has a critical extension this verifier does not process",
      "critical_entry_extension",
    );
  }
  return Object.freeze({
    issuer: issuer.subject,
    thisUpdate: t.thisUpdate.getTime(),
    nextUpdate: t.nextUpdate?.getTime(),
    revokedSerials: new Set(
      revoked.map((r) => bytesToSignedBigInt(new Uint8Array(r.userCertificate))),
    ),
    ...(scope && { scope }),
  });
}

/**
 * Reads an issuingDistributionPoint. A CRL that covers only some revocation reasons, is
 * indirect (lists other issuers' certificates) or covers attribute certificates is refused:
 * it cannot say that a certificate is not revoked.
 */
function readScope(value: ArrayBuffer): NonNullable<VerifiedCrl["scope"]> {
  let idp: IssuingDistributionPoint;
  try {
    idp = AsnConvert.parse(value, IssuingDistributionPoint);
  } catch (err) {
    throw unavailable("Cannot read the CRL: malformed issuingDistributionPoint", "malformed", err);
  }
  if (idp.onlySomeReasons !== undefined || idp.indirectCRL || idp.onlyContainsAttributeCerts) {
    throw unavailable(
      "Cannot use the CRL: it covers only some reasons, issuers or kinds of certificate",
      "partial_crl",
    );
  }
  const point = idp.distributionPoint;
  return {
    only: idp.onlyContainsUserCerts ? "user" : idp.onlyContainsCACerts ? "ca" : undefined,
    distributionPoints: point ? distributionPointUris(point.fullName) : undefined,
  };
}

/**
 * Whether the CRL covers `cert` (RFC 5280 §6.3.3 (b)): a CRL narrowed to end-entity or CA
 * certificates covers only those, and one that names distribution points covers only the
 * certificates that name one of them.
 */
export function crlCovers(crl: VerifiedCrl, cert: X509Certificate): boolean {
  const scope = crl.scope;
  if (!scope) return true;
  const isCa = cert.basicConstraints?.cA === true;
  if ((scope.only === "user" && isCa) || (scope.only === "ca" && !isCa)) return false;
  const points = scope.distributionPoints;
  return points === undefined ||
    points.some((uri) => cert.crlDistributionPoints?.includes(uri) === true);
}

/** Whether the CRL lists `serial` (a bigint, or the serial of a certificate). */
export function crlHasSerial(crl: VerifiedCrl, serial: bigint | X509Certificate): boolean {
  return crl.revokedSerials.has(typeof serial === "bigint" ? serial : serial.serialNumber.value);
}
