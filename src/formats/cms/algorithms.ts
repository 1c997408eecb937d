/**
 * The CMS algorithm table: JOSE algorithm name ↔ CMS signature AlgorithmIdentifier, and the
 * digest algorithms a SignerInfo may name. Building supports RS256, PS256 and ES256; reading
 * also accepts the SHA-384/512 variants, EdDSA (Ed25519) and legacy SHA-1 RSA of old PDFs.
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "../../core/errors.ts";
import * as oid from "./oids.ts";
import { RsaPssParams } from "./_schemas.ts";

/** A digest algorithm by its node:crypto name. */
export type DigestName = "sha1" | "sha256" | "sha384" | "sha512";

/** The signature algorithms CMS signatures are built with. */
export type CmsBuildAlg = "RS256" | "PS256" | "ES256";

/** RSASSA-PSS parameters as read from (or written to) a SignerInfo. */
export interface PssParams {
  /** The message hash. */
  hash: DigestName;
  /** The MGF1 hash. */
  mgfHash: DigestName;
  /** The salt length in bytes. */
  saltLength: number;
  /** The trailer field (always 1 in practice). */
  trailerField: number;
}

/** A SignerInfo signature algorithm, resolved. */
export interface CmsSignatureAlgorithm {
  /** The OID as found in the SignerInfo. */
  oid: string;
  /** The JOSE-style name: RS256…, PS256…, ES256…, EdDSA, or RS1 for legacy SHA-1 RSA. */
  alg: string;
  /** The key family the algorithm needs. */
  keyType: "rsa" | "ec" | "ed25519";
  /** The hash the signature is computed with (undefined for EdDSA: pure). */
  hash?: DigestName;
  /** The PSS parameters (id-RSASSA-PSS only). */
  pss?: PssParams;
}

const DIGEST_BY_OID: Record<string, DigestName> = {
  [oid.OID_SHA1]: "sha1",
  [oid.OID_SHA256]: "sha256",
  [oid.OID_SHA384]: "sha384",
  [oid.OID_SHA512]: "sha512",
};
const OID_BY_DIGEST: Record<DigestName, string> = {
  sha1: oid.OID_SHA1,
  sha256: oid.OID_SHA256,
  sha384: oid.OID_SHA384,
  sha512: oid.OID_SHA512,
};
const BITS: Record<DigestName, string> = { sha1: "1", sha256: "256", sha384: "384", sha512: "512" };

const FIXED: Record<string, Omit<CmsSignatureAlgorithm, "oid">> = {
  [oid.OID_SHA1_WITH_RSA]: { alg: "RS1", keyType: "rsa", hash: "sha1" },
  [oid.OID_SHA256_WITH_RSA]: { alg: "RS256", keyType: "rsa", hash: "sha256" },
  [oid.OID_SHA384_WITH_RSA]: { alg: "RS384", keyType: "rsa", hash: "sha384" },
  [oid.OID_SHA512_WITH_RSA]: { alg: "RS512", keyType: "rsa", hash: "sha512" },
  [oid.OID_ECDSA_WITH_SHA256]: { alg: "ES256", keyType: "ec", hash: "sha256" },
  [oid.OID_ECDSA_WITH_SHA384]: { alg: "ES384", keyType: "ec", hash: "sha384" },
  [oid.OID_ECDSA_WITH_SHA512]: { alg: "ES512", keyType: "ec", hash: "sha512" },
  [oid.OID_ED25519]: { alg: "EdDSA", keyType: "ed25519" },
};

const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

function unsupportedSignature(algOid: string): Pkcs11exError {
  return new Pkcs11exError(
    "unsupported_signature_algorithm",
    `Cannot use the CMS signature algorithm ${algOid}`,
    { detail: { oid: algOid } },
  );
}

/** The digest name of a digest AlgorithmIdentifier, or `unsupported_digest_algorithm`. */
export function digestFromAlgorithm(id: AlgorithmIdentifier): DigestName {
  const name = DIGEST_BY_OID[id.algorithm];
  if (!name) {
    throw new Pkcs11exError(
      "unsupported_digest_algorithm",
      `Cannot use the CMS digest algorithm ${id.algorithm}`,
      { detail: { oid: id.algorithm } },
    );
  }
  return name;
}

/** The digest AlgorithmIdentifier of a digest name (parameters absent, as RFC 5754 prefers). */
export function digestAlgorithmIdentifier(name: DigestName): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: OID_BY_DIGEST[name] });
}

function readPss(params: ArrayBuffer | null | undefined): PssParams {
  if (!params) throw unsupportedSignature(oid.OID_RSASSA_PSS);
  let p: RsaPssParams;
  try {
    p = AsnConvert.parse(params, RsaPssParams);
  } catch (cause) {
    throw new Pkcs11exError("cms_codec", "Cannot decode the RSASSA-PSS parameters", {
      cause,
      detail: { type: "RSASSA-PSS-params" },
    });
  }
  const hash = p.hashAlgorithm ? digestFromAlgorithm(p.hashAlgorithm) : "sha1";
  let mgfHash: DigestName = "sha1";
  if (p.maskGenAlgorithm) {
    if (p.maskGenAlgorithm.algorithm !== oid.OID_MGF1) {
      throw unsupportedSignature(p.maskGenAlgorithm.algorithm);
    }
    const inner = p.maskGenAlgorithm.parameters;
    if (inner) {
      try {
        mgfHash = digestFromAlgorithm(AsnConvert.parse(inner, AlgorithmIdentifier));
      } catch (cause) {
        if (cause instanceof Pkcs11exError) throw cause;
        throw new Pkcs11exError("cms_codec", "Cannot decode the MGF1 parameters", {
          cause,
          detail: { type: "MaskGenAlgorithm" },
        });
      }
    }
  }
  const trailerField = p.trailerField ?? 1;
  if (trailerField !== 1) throw unsupportedSignature(oid.OID_RSASSA_PSS);
  return { hash, mgfHash, saltLength: p.saltLength ?? 20, trailerField };
}

/**
 * Resolves a SignerInfo's signature algorithm. `rsaEncryption` (what OpenSSL and many PDF
 * signers write for PKCS #1 v1.5) takes its hash from the SignerInfo digest algorithm.
 */
export function signatureFromAlgorithm(
  id: AlgorithmIdentifier,
  digest: DigestName,
): CmsSignatureAlgorithm {
  const fixed = FIXED[id.algorithm];
  if (fixed) return { oid: id.algorithm, ...fixed };
  if (id.algorithm === oid.OID_RSA_ENCRYPTION) {
    return { oid: id.algorithm, alg: `RS${BITS[digest]}`, keyType: "rsa", hash: digest };
  }
  if (id.algorithm === oid.OID_RSASSA_PSS) {
    const pss = readPss(id.parameters);
    return { oid: id.algorithm, alg: `PS${BITS[pss.hash]}`, keyType: "rsa", hash: pss.hash, pss };
  }
  throw unsupportedSignature(id.algorithm);
}

/** The RSASSA-PSS-params of PS256 (trailerField 1 is the DEFAULT, so DER leaves it out). */
function ps256Params(): ArrayBuffer {
  const sha256 = digestAlgorithmIdentifier("sha256");
  const params = new RsaPssParams();
  params.hashAlgorithm = sha256;
  params.maskGenAlgorithm = new AlgorithmIdentifier({
    algorithm: oid.OID_MGF1,
    parameters: AsnConvert.serialize(sha256),
  });
  params.saltLength = 32;
  return AsnConvert.serialize(params);
}

/** The SignerInfo signature AlgorithmIdentifier for a JOSE algorithm we build with. */
export function signatureAlgorithmIdentifier(alg: string): AlgorithmIdentifier {
  switch (alg) {
    case "RS256":
      return new AlgorithmIdentifier({ algorithm: oid.OID_SHA256_WITH_RSA, parameters: DER_NULL });
    case "PS256":
      return new AlgorithmIdentifier({ algorithm: oid.OID_RSASSA_PSS, parameters: ps256Params() });
    case "ES256":
      return new AlgorithmIdentifier({ algorithm: oid.OID_ECDSA_WITH_SHA256 });
    default:
      throw new Pkcs11exError(
        "unsupported_signature_algorithm",
        `Cannot build a CMS signature with ${alg}: only RS256, PS256 and ES256 are supported`,
        { detail: { alg } },
      );
  }
}
