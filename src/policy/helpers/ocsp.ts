/**
 * OCSP helper for `ocspCheck` writers (RFC 6960): verify a DER OCSPResponse — signed by the
 * issuer or by a responder the issuer delegated to (id-kp-OCSPSigning), fresh, matching
 * the cert and the request nonce — and read the cert's status.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { BasicOCSPResponse, OCSPResponse, OCSPResponseStatus } from "@peculiar/asn1-ocsp";
import { isPkcs11exError, Pkcs11exError } from "../../core/errors.ts";
import { parseCertificate, type X509Certificate } from "../../core/x509.ts";
import { readChildren, readWhole, tlvBytes } from "../../core/x509/der.ts";
import { toHex } from "../../core/x509/hex.ts";
import { decodeName, dnToString, normalizeDn } from "../../core/x509/dn.ts";
import { bytesToSignedBigInt } from "../../core/_bigint.ts";
import { validityNow } from "./validity.ts";
import { isSignedBy } from "./signed_by.ts";

const BASIC = "1.3.6.1.5.5.7.48.1.1";
const NONCE = "1.3.6.1.5.5.7.48.1.2";
const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
const HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
};

/** Options of {@linkcode verifyOcspResponse}. */
export interface OcspVerifyOptions {
  /** The issuer of the cert in question. */
  issuer: X509Certificate;
  /** The cert in question (default: the first SingleResponse is read). */
  cert?: X509Certificate;
  /** Responder certs to consider besides the ones embedded in the response. */
  responderCerts?: readonly X509Certificate[];
  /** The nonce sent in the request; the response must echo it. */
  nonce?: Uint8Array;
  /** How old `thisUpdate` may be, in ms. */
  maxAge: number;
  /** The time to judge freshness at (default now). */
  validationTime?: Date;
}

function unavailable(message: string, kind: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("ocsp_unavailable", message, { detail: { kind }, cause });
}

function sha(hash: string, bytes: Uint8Array): string {
  return createHash(hash).update(bytes).digest("hex");
}

function publicKeyBits(cert: X509Certificate): Uint8Array {
  const spki = cert.spkiDer;
  const bitString = readChildren(spki, readWhole(spki, 0x30))[1];
  return spki.subarray(bitString.contentStart + 1, bitString.end);
}

function readNonce(value: Uint8Array): Uint8Array {
  // The extension value is usually an OCTET STRING around the nonce; accept both forms.
  if (value[0] === 0x04 && value.length >= 2) {
    try {
      const tlv = readWhole(value, 0x04);
      return value.subarray(tlv.contentStart);
    } catch { /* a bare nonce that happens to start with 0x04 */ }
  }
  return value;
}

function responderMatches(basic: BasicOCSPResponse, cert: X509Certificate): boolean {
  const id = basic.tbsResponseData.responderID;
  if (id.byKey) return toHex(new Uint8Array(id.byKey.buffer)) === sha("sha1", publicKeyBits(cert));
  if (!id.byName) return false;
  const name = decodeName(new Uint8Array(AsnConvert.serialize(id.byName)));
  return dnToString(normalizeDn(name)) === cert.subjectNormalized;
}

/**
 * Verifies an OCSP response and returns the status of the cert.
 *
 * @throws {Pkcs11exError} `ocsp_unavailable` when the response is malformed, not
 * successful, badly signed, from an unauthorized responder, stale, for another cert, or
 * without the expected nonce.
 */
export async function verifyOcspResponse(
  respDer: Uint8Array,
  opts: OcspVerifyOptions,
): Promise<"good" | "revoked" | "unknown"> {
  let basic: BasicOCSPResponse;
  let tbs: Uint8Array;
  let embedded: X509Certificate[];
  try {
    const resp = AsnConvert.parse(respDer, OCSPResponse);
    if (resp.responseStatus !== OCSPResponseStatus.successful || !resp.responseBytes) {
      throw unavailable(
        `Cannot use the OCSP response: status ${resp.responseStatus}`,
        "not_successful",
      );
    }
    if (resp.responseBytes.responseType !== BASIC) throw new RangeError("not a basic response");
    const inner = new Uint8Array(resp.responseBytes.response.buffer);
    const fields = readChildren(inner, readWhole(inner, 0x30));
    tbs = tlvBytes(inner, fields[0]).slice();
    basic = AsnConvert.parse(inner, BasicOCSPResponse);
    // certs [0] EXPLICIT SEQUENCE OF Certificate, read as received.
    const certs = fields[3]?.tag === 0xa0 ? readChildren(inner, fields[3])[0] : undefined;
    embedded = certs
      ? readChildren(inner, certs).map((c) => parseCertificate(tlvBytes(inner, c).slice()))
      : [];
  } catch (err) {
    if (isPkcs11exError(err, "ocsp_unavailable")) throw err;
    throw unavailable("Cannot read the OCSP response: malformed DER", "malformed", err);
  }
  const candidates = [opts.issuer, ...(opts.responderCerts ?? []), ...embedded];
  const responder = candidates.find((c) => responderMatches(basic, c));
  if (!responder) {
    throw unavailable("Cannot use the OCSP response: unknown responder", "unknown_responder");
  }
  if (responder.certSha256Hex !== opts.issuer.certSha256Hex) {
    // RFC 6960 §4.2.2.2: the issuer's own certificate for the purpose, naming id-kp-OCSPSigning
    // itself (anyExtendedKeyUsage does not delegate this), valid when the response is judged.
    const delegated = responder.issuerNormalized === opts.issuer.subjectNormalized &&
      responder.extendedKeyUsage?.includes(OCSP_SIGNING) === true &&
      validityNow(responder, { validationTime: opts.validationTime }) === "ok" &&
      await isSignedBy(
        responder.tbsDer,
        responder.signatureAlgorithm,
        responder.signatureValue,
        opts.issuer,
      );
    if (!delegated) {
      throw unavailable(
        "Cannot use the OCSP response: responder not authorized",
        "unauthorized_responder",
      );
    }
  }
  const sigAlg = {
    oid: basic.signatureAlgorithm.algorithm,
    params: basic.signatureAlgorithm.parameters
      ? new Uint8Array(basic.signatureAlgorithm.parameters)
      : undefined,
  };
  if (!await isSignedBy(tbs, sigAlg, new Uint8Array(basic.signature), responder)) {
    throw unavailable(
      "Cannot use the OCSP response: its signature does not verify",
      "bad_signature",
    );
  }
  const data = basic.tbsResponseData;
  if (opts.nonce) {
    const ext = data.responseExtensions?.find((e) => e.extnID === NONCE);
    const got = ext ? toHex(readNonce(new Uint8Array(ext.extnValue.buffer))) : undefined;
    if (got !== toHex(opts.nonce)) {
      throw unavailable("Cannot use the OCSP response: nonce mismatch", "nonce_mismatch");
    }
  }
  const single = data.responses.find((r) => {
    const hash = HASHES[r.certID.hashAlgorithm.algorithm];
    if (!hash) return false;
    return toHex(new Uint8Array(r.certID.issuerNameHash.buffer)) ===
        sha(hash, opts.issuer.subjectDer) &&
      toHex(new Uint8Array(r.certID.issuerKeyHash.buffer)) ===
        sha(hash, publicKeyBits(opts.issuer)) &&
      (!opts.cert ||
        bytesToSignedBigInt(new Uint8Array(r.certID.serialNumber)) ===
          opts.cert.serialNumber.value);
  });
  if (!single) {
    throw unavailable("Cannot use the OCSP response: no status for this certificate", "no_status");
  }
  const now = (opts.validationTime ?? new Date()).getTime();
  const age = now - single.thisUpdate.getTime();
  if (
    age > opts.maxAge || age < -opts.maxAge ||
    (single.nextUpdate && single.nextUpdate.getTime() < now)
  ) {
    throw unavailable("Cannot use the OCSP response: it is not fresh", "stale");
  }
  if (single.certStatus.revoked) return "revoked";
  if (single.certStatus.good !== undefined) return "good";
  return "unknown";
}
