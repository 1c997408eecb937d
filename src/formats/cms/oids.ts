/**
 * Object identifiers of the CMS layer (RFC 5652, RFC 5035, RFC 3161, RFC 4055, RFC 5758).
 *
 * @module
 */

/** id-data: the content type of detached PDF content. */
export const OID_DATA = "1.2.840.113549.1.7.1";
/** id-signedData. */
export const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
/** id-ct-TSTInfo: the content type of a time-stamp token (RFC 3161). */
export const OID_TST_INFO = "1.2.840.113549.1.9.16.1.4";

/** id-contentType signed attribute. */
export const OID_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3";
/** id-messageDigest signed attribute. */
export const OID_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
/** id-signingTime signed attribute. */
export const OID_ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5";
/** id-aa-signingCertificate (ESS, RFC 2634: SHA-1 certificate hash). */
export const OID_ATTR_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12";
/** id-aa-signingCertificateV2 (ESS, RFC 5035). */
export const OID_ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47";
/** id-aa-signatureTimeStampToken unsigned attribute (RFC 3161 appendix A). */
export const OID_ATTR_TIME_STAMP_TOKEN = "1.2.840.113549.1.9.16.2.14";

/** SHA-1 (legacy, read only). */
export const OID_SHA1 = "1.3.14.3.2.26";
/** SHA-256. */
export const OID_SHA256 = "2.16.840.1.101.3.4.2.1";
/** SHA-384. */
export const OID_SHA384 = "2.16.840.1.101.3.4.2.2";
/** SHA-512. */
export const OID_SHA512 = "2.16.840.1.101.3.4.2.3";

/** rsaEncryption (used by many signers as the signature algorithm of PKCS #1 v1.5). */
export const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
/** id-RSASSA-PSS. */
export const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";
/** id-mgf1. */
export const OID_MGF1 = "1.2.840.113549.1.1.8";
/** sha1WithRSAEncryption (legacy, read only). */
export const OID_SHA1_WITH_RSA = "1.2.840.113549.1.1.5";
/** sha256WithRSAEncryption. */
export const OID_SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
/** sha384WithRSAEncryption. */
export const OID_SHA384_WITH_RSA = "1.2.840.113549.1.1.12";
/** sha512WithRSAEncryption. */
export const OID_SHA512_WITH_RSA = "1.2.840.113549.1.1.13";
/** ecdsa-with-SHA256. */
export const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
/** ecdsa-with-SHA384. */
export const OID_ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3";
/** ecdsa-with-SHA512. */
export const OID_ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4";
/** id-Ed25519 (RFC 8419). */
export const OID_ED25519 = "1.3.101.112";

/** id-kp-timeStamping extended key usage. */
export const OID_KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8";
