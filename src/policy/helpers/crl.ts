/**
 * CRL helpers for `crlFetcher` writers and the CASignedAllowlist: verify a CRL's signature
 * against its issuer and look a serial number up.
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificateList } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { readChildren, readWhole, tlvBytes } from "../../core/x509/der.ts";
import { decodeName, dnToString, normalizeDn } from "../../core/x509/dn.ts";
import { bytesToBigInt } from "../../core/_bigint.ts";
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
}

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
  return Object.freeze({
    issuer: issuer.subject,
    thisUpdate: t.thisUpdate.getTime(),
    nextUpdate: t.nextUpdate?.getTime(),
    revokedSerials: new Set(
      (t.revokedCertificates ?? []).map((r) => bytesToBigInt(new Uint8Array(r.userCertificate))),
    ),
  });
}

/** Whether the CRL lists `serial` (a bigint, or the serial of a certificate). */
export function crlHasSerial(crl: VerifiedCrl, serial: bigint | X509Certificate): boolean {
  return crl.revokedSerials.has(typeof serial === "bigint" ? serial : serial.serialNumber.value);
}
