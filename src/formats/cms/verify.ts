/**
 * The signature math of a parsed SignerInfo, in software: the signature over the signed
 * attributes (or over the content when there are none), the content-type binding, and the
 * signing-certificate(-v2) binding to the embedded signer certificate. Comparing the
 * message digest with the caller's hash of the content is the caller's step (PDF: the
 * /ByteRange bytes; time-stamps: the TSTInfo).
 *
 * @module
 */
import { constants, createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import type { EssCertRef } from "./ess.ts";
import type { ParsedSignedData } from "./parse.ts";
import { OID_ATTR_MESSAGE_DIGEST } from "./oids.ts";
import { matchesIssuerSerial } from "./_certificate.ts";

/** Options of {@linkcode verifySignerInfoMath}. */
export interface VerifySignerInfoOptions {
  /** The content, needed only when the SignerInfo has no signed attributes. */
  content?: Uint8Array;
}

function invalid(kind: string, message: string, cause?: unknown): Pkcs11exError {
  return new Pkcs11exError("signature_invalid", `Cannot verify the CMS signature: ${message}`, {
    cause,
    detail: { kind },
  });
}

function checkEss(refs: EssCertRef[] | undefined, parsed: ParsedSignedData): void {
  if (!refs) return;
  const ref = refs[0];
  const hash = ref ? createHash(ref.hash).update(parsed.leaf.der).digest() : undefined;
  const is = ref?.issuerSerial;
  if (
    !ref || !hash || !hash.equals(ref.certHash) ||
    (is && !matchesIssuerSerial(parsed.leaf, is.issuerDer, is.serialNumber))
  ) {
    throw invalid(
      "signing_certificate_mismatch",
      "the signing-certificate attribute does not name the embedded signer certificate",
    );
  }
}

function checkMath(parsed: ParsedSignedData, data: Uint8Array): boolean {
  const { signatureAlgorithm: alg, signature } = parsed.signerInfo;
  if (alg.keyType !== parsed.leaf.keyType) {
    throw invalid("key_type_mismatch", `${alg.alg} does not fit a ${parsed.leaf.keyType} key`);
  }
  const key = createPublicKey({
    key: Buffer.from(parsed.leaf.spkiDer),
    format: "der",
    type: "spki",
  });
  if (alg.pss) {
    if (alg.pss.mgfHash !== alg.pss.hash) {
      throw new Pkcs11exError(
        "unsupported_signature_algorithm",
        "Cannot verify the CMS signature: RSASSA-PSS with an MGF1 hash unlike the message hash",
        { detail: { oid: alg.oid } },
      );
    }
    return nodeVerify(alg.hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: alg.pss.saltLength,
    }, signature);
  }
  if (alg.keyType === "ec") {
    return nodeVerify(alg.hash, data, { key, dsaEncoding: "der" }, signature);
  }
  return nodeVerify(alg.hash ?? null, data, key, signature);
}

/**
 * Checks the signature of the one SignerInfo against the embedded signer certificate.
 *
 * @param parsed The result of `parseSignedData`.
 * @param opts The content, when the SignerInfo has no signed attributes.
 * @throws {Pkcs11exError} `signature_invalid` (detail `kind`: `bad_signature`,
 *   `content_type_mismatch`, `signing_certificate_mismatch`, `key_type_mismatch`);
 *   `missing_attribute` when there are neither signed attributes nor content;
 *   `unsupported_signature_algorithm` for PSS with a differing MGF1 hash.
 */
export function verifySignerInfoMath(
  parsed: ParsedSignedData,
  opts: VerifySignerInfoOptions = {},
): void {
  const si = parsed.signerInfo;
  let data: Uint8Array;
  if (si.signedAttrsDer) {
    if (si.contentType !== parsed.encapContentType) {
      throw invalid(
        "content_type_mismatch",
        "the content-type attribute differs from eContentType",
      );
    }
    checkEss(si.signingCertificateV2, parsed);
    checkEss(si.signingCertificateV1, parsed);
    data = si.signedAttrsDer;
  } else if (opts.content instanceof Uint8Array) {
    data = opts.content;
  } else {
    throw new Pkcs11exError(
      "missing_attribute",
      "Cannot verify the CMS signature: no signed attributes and no content to check against",
      { detail: { oid: OID_ATTR_MESSAGE_DIGEST } },
    );
  }
  let ok: boolean;
  try {
    ok = checkMath(parsed, data);
  } catch (cause) {
    if (cause instanceof Pkcs11exError) throw cause;
    throw invalid("bad_signature", "the signature cannot be checked", cause);
  }
  if (!ok) throw invalid("bad_signature", "the signature does not match the signer's key");
}
