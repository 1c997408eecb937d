/**
 * Check an RFC 3161 TimeStampToken: a CMS SignedData over a TSTInfo, signed by a TSA
 * certificate whose extendedKeyUsage is id-kp-timeStamping, whose message imprint is the
 * expected SHA-256 digest (and whose nonce echoes the request, when one was sent).
 * Whether the TSA itself is trusted (its chain to an anchor) is the trust policy's step.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { TSTInfo } from "@peculiar/asn1-tsp";
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { parseSignedData } from "../cms/parse.ts";
import { verifySignerInfoMath } from "../cms/verify.ts";
import { OID_KP_TIME_STAMPING, OID_SHA256, OID_TST_INFO } from "../cms/oids.ts";
import { btFailed } from "./_bt_failed.ts";

/** What a verified time-stamp token says. */
export interface TimestampInfo {
  /** The time the TSA vouches for. */
  genTime: Date;
  /** The TSA's serial number of this token, lowercase hex. */
  serialNumber: string;
  /** The TSA policy OID. */
  policy: string;
  /** The nonce echoed by the TSA, lowercase hex, if any. */
  nonce?: string;
  /** The TSA's signing certificate. */
  tsaCertificate: X509Certificate;
  /** Every certificate the token carries, DER, as found. */
  certificates: Uint8Array[];
}

/** Options of {@linkcode verifyTimestampToken}. */
export interface VerifyTimestampOptions {
  /** The nonce sent in the request (raw INTEGER content); the token must echo it. */
  nonce?: Uint8Array;
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Integer content octets compared by value (a TSA may re-encode with or without a 0 pad). */
function sameInteger(a: Uint8Array, b: Uint8Array): boolean {
  return hex(a).replace(/^(00)+/, "") === hex(b).replace(/^(00)+/, "");
}

function signatureInvalid(problem: string, cause?: unknown): Pkcs11exError {
  return btFailed("tsa_signature_invalid", `the time-stamp token ${problem}`, { problem }, cause);
}

/**
 * Verifies a TimeStampToken against the digest it must cover.
 *
 * @param tokenDer The TimeStampToken (a CMS ContentInfo DER).
 * @param expectedDigest SHA-256 of the time-stamped bytes (a signature value, c14n bytes…).
 * @param opts The request nonce to match, if any.
 * @returns The token's time, serial, policy and TSA certificate.
 * @throws {Pkcs11exError} `bt_failed` with `kind` `malformed_tsa_response`,
 *   `tsa_signature_invalid`, `imprint_mismatch` or `nonce_mismatch`.
 */
export function verifyTimestampToken(
  tokenDer: Uint8Array,
  expectedDigest: Uint8Array,
  opts: VerifyTimestampOptions = {},
): TimestampInfo {
  if (!(tokenDer instanceof Uint8Array) || !(expectedDigest instanceof Uint8Array)) {
    throw new TypeError("Cannot verify the time-stamp token: expected Uint8Arrays");
  }
  let parsed;
  try {
    parsed = parseSignedData(tokenDer);
  } catch (cause) {
    if (!(cause instanceof Pkcs11exError)) throw cause;
    throw btFailed("malformed_tsa_response", "the token is not a valid CMS SignedData", {
      cmsReason: cause.reason,
    }, cause);
  }
  const content = parsed.encapContent;
  if (parsed.encapContentType !== OID_TST_INFO || !content) {
    throw btFailed("malformed_tsa_response", "the token does not carry a TSTInfo");
  }
  const si = parsed.signerInfo;
  // SHA-1 collisions are practical: a token whose signature rests on it proves no time.
  if (si.digestAlgorithm === "sha1" || si.signatureAlgorithm.hash === "sha1") {
    throw signatureInvalid("is signed with SHA-1");
  }
  if (!si.messageDigest) throw signatureInvalid("has no signed attributes");
  const digest = createHash(si.digestAlgorithm).update(content).digest();
  if (!same(new Uint8Array(digest), si.messageDigest)) {
    throw signatureInvalid("message digest does not match its TSTInfo");
  }
  try {
    verifySignerInfoMath(parsed);
  } catch (cause) {
    throw signatureInvalid("signature does not verify", cause);
  }
  if (!parsed.leaf.extendedKeyUsage?.includes(OID_KP_TIME_STAMPING)) {
    throw signatureInvalid("signer is not a time-stamping certificate");
  }
  let tst: TSTInfo;
  try {
    tst = AsnConvert.parse(content, TSTInfo);
  } catch (cause) {
    throw btFailed("malformed_tsa_response", "the TSTInfo cannot be decoded", {}, cause);
  }
  const imprint = tst.messageImprint;
  if (
    imprint.hashAlgorithm.algorithm !== OID_SHA256 ||
    !same(new Uint8Array(imprint.hashedMessage.buffer), expectedDigest)
  ) {
    throw btFailed("imprint_mismatch", "the token covers other data than the signature");
  }
  if (opts.nonce && (!tst.nonce || !sameInteger(new Uint8Array(tst.nonce), opts.nonce))) {
    throw btFailed("nonce_mismatch", "the token does not echo the request nonce");
  }
  return {
    genTime: tst.genTime,
    serialNumber: hex(tst.serialNumber),
    policy: tst.policy,
    nonce: tst.nonce ? hex(tst.nonce) : undefined,
    tsaCertificate: parsed.leaf,
    certificates: parsed.certificates,
  };
}
